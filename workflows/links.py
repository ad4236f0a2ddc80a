"""The service layer for links: one function per thing a seller or an account does.

Every function takes the unit of work and `now`. It catches up the shop's overdue timers
in their own short transaction (timers.settle), then locks the shop, checks the rules
and fires one event in the command's transaction, which commits only on success (and,
for `new_link`, for the rejected link it keeps).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import audit, link_rows, lookup, machine, rules, validate
from shoplink.workflows.driver import driven, pipelined
from shoplink.workflows.errors import BadInput, Refused, quoted
from shoplink.workflows.machine import HOLDING_STATES
from shoplink.workflows.models import Link
from shoplink.workflows.outbox import publish
from shoplink.workflows.showcase import clear_showcase
from shoplink.workflows.timers import catch_up, catch_up_for_read, overdue, read_link_shop
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.views import link_view

SELLER = "seller"


def new_link(uow: UnitOfWork, shop_ref: str | int, username: str, now: datetime, *,
             invite: bool = True, ttl: timedelta | None = None) -> dict[str, Any]:
    """Create the link (searched), verify it, and unless told not to, send the invitation."""
    ttl = _invitation_ttl(ttl)
    with uow:
        shop, account = _held_shop_and_account(uow, shop_ref, username, now)
        connection = uow.session.connection()
        link = link_rows.Moving(shop, account, {})
        machine.start(link, actor=SELLER, now=now)
        violations = rules.for_marketing_link(connection, shop, account, now)
        machine.fire(link, "verify", actor=SELLER, now=now, violations=violations)
        if link.state == "verified" and invite:
            machine.fire(link, "invite", actor=SELLER, now=now, ttl=ttl)
        link_rows.insert(uow.session, link)
        view = link_view(link, history=True)
        uow.commit()
    if violations:
        raise Refused(violations, link=view)
    return view


def _held_shop_and_account(uow: UnitOfWork, shop_ref: str | int, username: str,
                           now: datetime) -> tuple[Any, Any]:
    """The shop and the account, held in that order, with the shop's overdue timers caught
    up first (in their own transaction: then both are read again in a fresh one)."""
    connection = uow.session.connection()
    shop = lookup.shop_row(connection, shop_ref, lock=True, overdue_at=now)
    account = lookup.account_row(connection, username, lock=True)
    if shop.overdue:
        catch_up(uow, shop.id, now)
        connection = uow.session.connection()
        shop = lookup.shop_row(connection, shop.id, lock=True)
        account = lookup.account_row(connection, account.username, lock=True)
    return shop, account


def _held_link(uow: UnitOfWork, key: int, now: datetime, reach: lookup.Reach | None, *,
               with_account: bool) -> link_rows.Moving:
    """The link, caught up and held after its shop (and its account, `with_account`).

    SQLite's transaction already holds the database: the link is read once. PostgreSQL
    reads which shop it is, then locks the shop, the account and the link in that order.
    """
    connection = uow.session.connection()
    held = None
    if connection.dialect.name == "postgresql":
        owners = lookup.link_owners(connection, key, reach, overdue_at=now)
        shop_id, account_id, due = owners.shop_id, owners.account_id, owners.overdue
    else:
        held = link_rows.link(connection, key, reach=reach)
        shop_id, account_id = held.shop_id, held.account_id
        due = overdue(connection, now, shop_ids=[shop_id])
    if due:
        catch_up(uow, shop_id, now)
        connection, held = uow.session.connection(), None
    if held is None:
        owners = [(link_rows.SHOPS, shop_id)]
        if with_account:
            owners.append((link_rows.ACCOUNTS, account_id))
        link_rows.lock(connection, *owners)
        held = link_rows.link(connection, key, lock=True)
    return held


FollowUp = Callable[[Session, Any, datetime], None]


def _act(uow: UnitOfWork, raw_id: str | int, event: str, now: datetime, *, actor: str,
         reach: lookup.Reach | None = None, answering: str | None = None,
         recheck_rules: bool = False,
         ttl: timedelta | None = None,
         follow_up: FollowUp | None = None) -> dict[str, Any]:
    """Fire `event` on one link; the machine refuses in the order a person reads the
    reasons (who answers, the link's state, its validators), then every linking rule."""
    key = lookup.link_id(raw_id)
    with uow:
        link = _held_link(uow, key, now, reach, with_account=recheck_rules)
        connection = uow.session.connection()
        if answering is not None:  # validated once the link is known to be in reach
            answering = validate.username(answering)
            actor = f"account:{answering}"
            if answering != link.account.username:
                lookup.account_row(connection, answering)  # an unknown account is not found
        violations = []
        if recheck_rules and event in machine.allowed_events(link.state):
            violations = rules.for_marketing_link(connection, link.shop, link.account, now,
                                                  link_id=link.id)
        machine.fire(link, event, actor=actor, now=now, violations=violations, ttl=ttl,
                     answering=answering)
        # A follow-up that only writes goes with the link's write in one round trip; the
        # link's write alone is one statement, which a pipelined block would not speed up.
        with pipelined(uow.session) if follow_up in WRITES_ONLY else contextlib.nullcontext():
            link_rows.update(uow.session, link)
            if follow_up is not None:
                follow_up(uow.session, link, now)
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


def accept_link(uow: UnitOfWork, raw_id: str | int, username: str, now: datetime, *,
                reach: lookup.Reach | None = None) -> dict[str, Any]:
    """The invited account accepts: the rules are checked a last time."""
    return _act(uow, raw_id, "accept", now, actor="",
                answering=username, recheck_rules=True, reach=reach,
                follow_up=become_business)


def become_business(session: Session, link: Any, now: datetime) -> None:
    """TikTok upgrades an account to a Business account on its first link: once, for good."""
    account = link.account
    if account.business:
        return
    actor = f"account:{account.username}"
    driven(_business_query()).execute(session.connection(), {"key": account.id, "now": now})
    audit.record(session, "account", account.id, "business upgrade", actor, now,
                 {"business": {"from": False, "to": True}})
    publish(session, "account.business_upgraded", "upgrade", actor=actor, at=now,
            shop_id=link.shop_id, account_id=account.id, details={"link_id": link.id})


@functools.cache
def _business_query() -> sa.Update:
    accounts = link_rows.ACCOUNTS
    return (sa.update(accounts).where(accounts.c.id == sa.bindparam("key"))
            .values(business=True, updated_at=sa.bindparam("now")))


# The follow-ups that only write (no reads on SQLAlchemy's execution): on PostgreSQL they go
# to the server with the link's write, in one round trip (`pipelined`).
WRITES_ONLY: tuple[FollowUp, ...] = (become_business,)


def decline_link(uow: UnitOfWork, raw_id: str | int, username: str, now: datetime, *,
                 reach: lookup.Reach | None = None) -> dict[str, Any]:
    return _act(uow, raw_id, "decline", now, actor="",
                answering=username, reach=reach)


def cancel_link(uow: UnitOfWork, raw_id: str | int, now: datetime, *,
                reach: lookup.Reach | None = None) -> dict[str, Any]:
    """The seller withdraws a link that is not yet accepted."""
    return _act(uow, raw_id, "cancel", now, actor=SELLER, reach=reach)


def unlink_link(uow: UnitOfWork, raw_id: str | int, now: datetime, *,
                reach: lookup.Reach | None = None) -> dict[str, Any]:
    """The seller ends a link, once its 24-hour lock has passed; its showcase empties with it."""
    return _act(uow, raw_id, "unlink", now, actor=SELLER, reach=reach,
                follow_up=clear_showcase)


def show_link(uow: UnitOfWork, raw_id: str | int, now: datetime, *,
              reach: lookup.Reach | None = None) -> dict[str, Any]:
    key = lookup.link_id(raw_id)
    with uow.reading():
        read_link_shop(uow, key, now, reach)
        link = uow.session.execute(sa.select(Link).where(Link.id == key)).unique().scalar_one()
        return link_view(link, history=True)


def list_links(uow: UnitOfWork, now: datetime, *, shop_ref: str | int | None = None,
               states: Iterable[str] = (), limit: int = 100) -> list[dict[str, Any]]:
    """Links, newest first, optionally of one shop and in some states."""
    wanted = list(states)
    unknown = [s for s in wanted if s not in machine.STATES]
    if unknown:
        raise BadInput(
            f"unknown state {quoted(unknown[0])}: use one of {', '.join(machine.STATES)}")
    with uow.reading():
        query = sa.select(Link).order_by(Link.id.desc()).limit(limit)
        if shop_ref is not None:
            shop_id = lookup.shop(uow.session, shop_ref).id
            catch_up_for_read(uow, [shop_id], now)
            query = query.where(Link.shop_id == shop_id)
        else:
            catch_up_for_read(uow, None, now)
        if wanted:
            query = query.where(*_states_read(wanted))
        return [link_view(link) for link in uow.session.execute(query).unique().scalars()]


def _states_read(wanted: list[str]) -> list[sa.ColumnElement[bool]]:
    """`state IN (wanted)`, plus the WHERE of the partial index that holds all of them
    (open links or ended ones), so that SQLite reads a shop's links through it."""
    conditions = [lookup.states_in(wanted)]
    if all(state in machine.OPEN_STATES for state in wanted):
        conditions.append(lookup.open_only())
    elif all(state in machine.FINAL_STATES for state in wanted):
        conditions.append(lookup.ended_only())
    return conditions


def pending_invitations(uow: UnitOfWork, username: str, now: datetime) -> list[dict[str, Any]]:
    """The account's invitations still open at `now`, newest first (the TikTok app's inbox)."""
    with uow.reading():
        account_id = lookup.account(uow.session, username).id
        mine = sa.and_(Link.account_id == account_id, Link.state == lookup.literal_name("invited"))
        shop_ids = uow.session.execute(sa.select(Link.shop_id).where(mine).distinct()).scalars()
        catch_up_for_read(uow, list(shop_ids), now)
        query = sa.select(Link).where(mine).order_by(Link.id.desc())
        return [link_view(link) for link in uow.session.execute(query).unique().scalars()]


def linked_shops(uow: UnitOfWork, username: str, now: datetime) -> list[dict[str, Any]]:
    """The links that make the account a marketing account (linked, unlinkable), newest first."""
    with uow.reading():
        account_id = lookup.account(uow.session, username).id
        mine = sa.and_(Link.account_id == account_id, lookup.states_in(HOLDING_STATES))
        shop_ids = uow.session.execute(sa.select(Link.shop_id).where(mine).distinct()).scalars()
        catch_up_for_read(uow, list(shop_ids), now)
        query = sa.select(Link).where(mine).order_by(Link.id.desc())
        return [link_view(link) for link in uow.session.execute(query).unique().scalars()]
