"""The service layer for links: one function per thing a seller or an account does.

Every function takes the unit of work and `now`. It locks the link's shop, applies
that shop's overdue timers, checks the rules and fires one event, in one transaction.
A refusal still commits the overdue transitions it caught up on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import lookup, machine, rules, validate
from shoplink.workflows.clock import iso
from shoplink.workflows.errors import BadInput, Refused
from shoplink.workflows.models import SLOT_STATES, Link
from shoplink.workflows.showcase import clear_showcase
from shoplink.workflows.timers import apply_due, settle
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.views import link_view

SELLER = "seller"


def new_link(uow: UnitOfWork, shop_ref: str, username: str, now: datetime, *,
             invite: bool = True, ttl: timedelta | None = None) -> dict[str, Any]:
    """Create the link (searched), verify it, and unless told not to, send the invitation."""
    ttl = _invitation_ttl(ttl)
    with uow:
        shop = lookup.shop(uow.session, shop_ref)
        account = lookup.account(uow.session, username)
        shop = settle(uow, shop.id, now)
        account = uow.lock_account(account.id)
        link = Link(shop=shop, account=account)
        machine.start(link, actor=SELLER, now=now)
        violations = rules.for_marketing_link(uow.session, shop, account, now)
        machine.fire(link, "verify", actor=SELLER, now=now, violations=violations)
        if link.state == "verified" and invite:
            machine.fire(link, "invite", actor=SELLER, now=now, ttl=ttl)
        uow.session.add(link)
        uow.session.flush()
        view = link_view(link, history=True)
        uow.commit()
    if violations:
        raise Refused(violations, link=view)
    return view


PreCheck = Callable[[UnitOfWork, Link], None]
FollowUp = Callable[[Session, Link, datetime], None]


def _act(uow: UnitOfWork, raw_id: str | int, event: str, now: datetime, *, actor: str,
         pre_check: PreCheck | None = None, recheck_rules: bool = False,
         ttl: timedelta | None = None, follow_up: FollowUp | None = None) -> dict[str, Any]:
    """Fire `event` on one link, refusing in the order a person reads the reasons: the
    caller's pre-check, then the link's state, then (if asked) every linking rule."""
    key = lookup.link_id(raw_id)
    with uow:
        shop = settle(uow, lookup.link_shop_id(uow.session, key), now)
        link = lookup.link_for_update(uow.session, key)
        try:
            if pre_check is not None:
                pre_check(uow, link)
            violations = []
            if recheck_rules and event in machine.allowed_events(link.state):
                account = uow.lock_account(link.account_id)
                violations = rules.for_marketing_link(uow.session, shop, account, now,
                                                      link_id=link.id)
            machine.fire(link, event, actor=actor, now=now, violations=violations, ttl=ttl)
            if follow_up is not None:
                follow_up(uow.session, link, now)
        except Refused:
            uow.commit()
            raise
        uow.session.flush()
        view = link_view(link, history=True)
        uow.commit()
    return view


def invite_link(uow: UnitOfWork, raw_id: str | int, now: datetime, *,
                ttl: timedelta | None = None) -> dict[str, Any]:
    """Send the invitation for a verified link, checking the rules again."""
    return _act(uow, raw_id, "invite", now, actor=SELLER, ttl=_invitation_ttl(ttl),
                recheck_rules=True)


def _invitation_ttl(ttl: timedelta | None) -> timedelta | None:
    """A TTL given must be positive: zero or less would send an invitation already expired."""
    if ttl is not None and ttl <= timedelta(0):
        raise BadInput(f"the invitation TTL must be positive, not {ttl}")
    return ttl


def _answered_by(username: str) -> PreCheck:
    """Only the invited account answers, and only an invitation that has not expired."""
    def check(uow: UnitOfWork, link: Link) -> None:
        if link.account.username != username:
            lookup.account(uow.session, username)  # an unknown account is not found (exit 3)
            raise Refused.one("not_invitee",
                              f"link {link.id} invites @{link.account.username}, not @{username}")
        if link.state == "expired":
            raise Refused.one("invitation_expired",
                              f"the invitation of link {link.id} expired at {iso(link.expires_at)}")
    return check


def accept_link(uow: UnitOfWork, raw_id: str | int, username: str,
                now: datetime) -> dict[str, Any]:
    """The invited account accepts: the rules are checked a last time."""
    account = validate.username(username)
    return _act(uow, raw_id, "accept", now, actor=f"account:{account}",
                pre_check=_answered_by(account), recheck_rules=True)


def decline_link(uow: UnitOfWork, raw_id: str | int, username: str,
                 now: datetime) -> dict[str, Any]:
    account = validate.username(username)
    return _act(uow, raw_id, "decline", now, actor=f"account:{account}",
                pre_check=_answered_by(account))


def cancel_link(uow: UnitOfWork, raw_id: str | int, now: datetime) -> dict[str, Any]:
    """The seller withdraws a link that is not yet accepted."""
    return _act(uow, raw_id, "cancel", now, actor=SELLER)


def _unlock_reached(uow: UnitOfWork, link: Link) -> None:
    """A link still inside its 24-hour lock says when it can be unlinked."""
    if link.state == "linked" and link.unlockable_at is not None:
        raise Refused.one("unlink_too_early",
                          f"link {link.id} can be unlinked from {iso(link.unlockable_at)}, "
                          f"24 hours after it was linked")


def unlink_link(uow: UnitOfWork, raw_id: str | int, now: datetime) -> dict[str, Any]:
    """The seller ends a link, once its 24-hour lock has passed; its showcase empties with it."""
    return _act(uow, raw_id, "unlink", now, actor=SELLER, pre_check=_unlock_reached,
                follow_up=clear_showcase)


def show_link(uow: UnitOfWork, raw_id: str | int, now: datetime) -> dict[str, Any]:
    key = lookup.link_id(raw_id)
    with uow:
        settle(uow, lookup.link_shop_id(uow.session, key), now)
        view = link_view(lookup.link_for_update(uow.session, key), history=True)
        uow.commit()
    return view


def list_links(uow: UnitOfWork, now: datetime, *, shop_ref: str | None = None,
               states: Iterable[str] = (), limit: int = 100) -> list[dict[str, Any]]:
    """Links, newest first, optionally of one shop and in some states."""
    wanted = list(states)
    unknown = [s for s in wanted if s not in machine.STATES]
    if unknown:
        raise BadInput(f"unknown state {unknown[0]!r}: use one of {', '.join(machine.STATES)}")
    with uow:
        query = sa.select(Link).order_by(Link.id.desc()).limit(limit)
        if shop_ref is not None:
            shop = settle(uow, lookup.shop(uow.session, shop_ref).id, now)
            query = query.where(Link.shop_id == shop.id)
        else:
            apply_due(uow.session, now)
        if wanted:
            query = query.where(Link.state.in_(wanted))
        views = [link_view(link) for link in uow.session.execute(query).unique().scalars()]
        uow.commit()
    return views


def marketing_accounts(uow: UnitOfWork, shop_ref: str, now: datetime) -> list[dict[str, Any]]:
    """The Marketing accounts tab: the links holding one of the shop's four slots."""
    with uow:
        shop = settle(uow, lookup.shop(uow.session, shop_ref).id, now)
        views = slot_holders(uow.session, shop.id)
        uow.commit()
    return views


def slot_holders(session: Session, shop_id: int) -> list[dict[str, Any]]:
    """The settled shop's links in a slot-holding state, oldest first."""
    query = (
        sa.select(Link)
        .where(Link.shop_id == shop_id, Link.state.in_(SLOT_STATES))
        .order_by(Link.id)
    )
    return [link_view(link) for link in session.execute(query).unique().scalars()]


def pending_invitations(uow: UnitOfWork, username: str, now: datetime) -> list[dict[str, Any]]:
    """The account's invitations still open at `now`, newest first (the TikTok app's inbox)."""
    with uow:
        account = lookup.account(uow.session, username)
        mine = sa.and_(Link.account_id == account.id, Link.state == "invited")
        shop_ids = uow.session.execute(sa.select(Link.shop_id).where(mine).distinct()).scalars()
        for shop_id in sorted(shop_ids):  # one lock order, so two callers never deadlock
            settle(uow, shop_id, now)
        query = sa.select(Link).where(mine).order_by(Link.id.desc())
        views = [link_view(link) for link in uow.session.execute(query).unique().scalars()]
        uow.commit()
    return views


def linked_shops(uow: UnitOfWork, username: str, now: datetime) -> list[dict[str, Any]]:
    """The links that make the account a marketing account (linked, unlinkable), newest first."""
    with uow:
        account = lookup.account(uow.session, username)
        mine = sa.and_(Link.account_id == account.id, Link.state.in_(("linked", "unlinkable")))
        for shop_id in sorted(uow.session.execute(sa.select(Link.shop_id).where(mine)
                                                  .distinct()).scalars()):
            settle(uow, shop_id, now)
        query = sa.select(Link).where(mine).order_by(Link.id.desc())
        views = [link_view(link) for link in uow.session.execute(query).unique().scalars()]
        uow.commit()
    return views
