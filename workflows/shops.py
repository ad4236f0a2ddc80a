"""The service layer for shops and their official account."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shoplink.workflows import audit, lookup, rules, validate
from shoplink.workflows.audit import OPERATOR
from shoplink.workflows.clock import iso
from shoplink.workflows.driver import driven
from shoplink.workflows.errors import BadInput, Refused
from shoplink.workflows.limits import LINK_WINDOW, MAX_LINKS_IN_WINDOW, MAX_MARKETING_ACCOUNTS
from shoplink.workflows.marketing import slot_holders
from shoplink.workflows.models import Account, Link, Shop
from shoplink.workflows.outbox import publish
from shoplink.workflows.products import shop_page
from shoplink.workflows.timers import read_shop, settle
from shoplink.workflows.types import UTCDateTime
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.views import account_view, shop_view


def add_shop(uow: UnitOfWork, name: str, now: datetime, *, region: str | None = None,
             probation_until: str | datetime | None = None) -> dict[str, Any]:
    name = validate.shop_name(name)
    shop = Shop(
        name=name,
        region=validate.region(region),
        probation_ends_at=(probation_until if isinstance(probation_until, datetime)
                           else validate.timestamp(probation_until)),
        created_at=now,
    )
    with uow:
        uow.add_unique(shop, f"a shop named {name!r} already exists")
        view = shop_view(shop)
        uow.commit()
    return view


def list_shops(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        shops = uow.session.execute(sa.select(Shop).order_by(Shop.id)).unique().scalars()
        return [shop_view(shop) for shop in shops]


def show_shop(uow: UnitOfWork, shop_ref: str | int, now: datetime) -> dict[str, Any]:
    """The shop with its official account, slots in use and links counted in 180 days."""
    with uow.reading():
        shop = read_shop(uow, shop_ref, now)
        return _detail(uow, shop, now)


def marketing_tab(uow: UnitOfWork, shop_ref: str, now: datetime) -> dict[str, Any]:
    """The Marketing accounts tab in one read: the links holding a slot (as
    `marketing_accounts`) and the shop's slots and 180-day window (as `show_shop`).

    Without the shop's links counted by state, which the tab does not show and which read
    every link the shop ever had: the slots in use are the slot holders, since the shop
    was caught up to `now` first and no invitation left holds a slot past its expiry."""
    with uow.reading():
        shop = read_shop(uow, shop_ref, now)
        links = slot_holders(uow.session.connection(), shop.id)
        return {"shop": _detail(uow, shop, now, holding=len(links)), "links": links}


def _detail(uow: UnitOfWork, shop: Any, now: datetime, *,
            holding: int | None = None) -> dict[str, Any]:
    """The shop's view with its slots and window; with its links by state unless the
    slots in use are given (`holding`)."""
    view = shop_view(shop)
    connection = uow.session.connection()
    by_state = None
    if holding is None:
        counts = driven(_counts_query()).all(connection, {"shop_id": shop.id, "now": now})
        holding = sum(held for _, _, held in counts)
        by_state = {state: count for state, count, _ in counts}
    window = rules.window_releases(connection, "shop_id", shop.id, now)
    view.update(
        in_probation=bool(rules.shop_in_probation(shop, now)),
        marketing_accounts=holding,
        marketing_account_limit=MAX_MARKETING_ACCOUNTS,
        links_in_180_days=len(window),
        link_change_limit=MAX_LINKS_IN_WINDOW,
        next_window_release=iso(window[0]) if window else None,
        window_days=LINK_WINDOW.days,
    )
    if by_state is not None:
        view["links_by_state"] = by_state
    return view


@functools.cache
def _counts_query() -> sa.CompoundSelect:
    """The shop's links by state and the slots they hold (rules.holds_slot), in one read:
    its open links through their unique index, its ended ones (which hold no slot)
    through theirs, each index read alone (lookup.open_only, lookup.ended_only)."""
    held = rules.holds_slot(sa.bindparam("now", type_=UTCDateTime()))
    shop = Link.shop_id == sa.bindparam("shop_id")
    return sa.union_all(
        sa.select(Link.state, sa.func.count(), sa.func.count().filter(held))
        .where(shop, lookup.open_only()).group_by(Link.state),
        sa.select(Link.state, sa.func.count(), sa.literal(0))
        .where(shop, lookup.ended_only()).group_by(Link.state)).order_by("state")


def update_shop(uow: UnitOfWork, shop_ref: str | int, now: datetime, *, name: str | None = None,
                region: str | None = None, probation_until: str | datetime | None = None,
                no_probation: bool = False, actor: str = OPERATOR) -> dict[str, Any]:
    """Rename, move or change the probation of a shop; the official account's nickname follows
    a rename. Locks the shop first, then the official account, as link commands do."""
    wanted = _wanted_shop_fields(name, region, probation_until, no_probation)
    with uow:
        shop = settle(uow, lookup.shop(uow.session, shop_ref).id, now)
        violations = []
        if "region" in wanted and wanted["region"] != shop.region:
            held = rules.links_holding_slots(uow.session, Link.shop_id == shop.id, now)
            violations += rules.region_change_blocked(f"shop {shop.name!r}", wanted["region"],
                                                      held)
        official = None
        if "name" in wanted and wanted["name"] != shop.name and shop.official_account_id:
            official = uow.lock_account(shop.official_account_id)
            violations += rules.official_follows_rename(shop, wanted["name"], official)
        if violations:
            raise Refused(violations)
        old_name = shop.name
        changes = audit.apply(shop, wanted)
        try:
            uow.session.flush()
        except sa.exc.IntegrityError:
            raise BadInput(f"a shop named {wanted['name']!r} already exists") from None
        audit.record(uow.session, "shop", shop.id, "update", actor, now, changes)
        if "name" in changes:
            _rename_official(uow, shop, official, actor, now)
            publish(uow.session, "shop.renamed", "rename", actor=actor, at=now, shop_id=shop.id,
                    account_id=official.id if official else None,
                    details={"from": old_name, "to": shop.name,
                             "official_account": official.username if official else None})
        view = shop_view(shop)
        view["changed"] = sorted(changes)
        uow.commit()
    return view


def _wanted_shop_fields(name: str | None, region: str | None,
                        probation_until: str | datetime | None,
                        no_probation: bool) -> dict[str, Any]:
    """The fields an update asks for, each checked as `shop add` checks it."""
    if probation_until is not None and no_probation:
        raise BadInput("give --probation-until or --no-probation, not both")
    wanted: dict[str, Any] = {}
    if name is not None:
        wanted["name"] = validate.shop_name(name)
    if region is not None:
        wanted["region"] = validate.region(region)
    if probation_until is not None:
        wanted["probation_ends_at"] = (probation_until if isinstance(probation_until, datetime)
                                       else validate.timestamp(probation_until))
        if wanted["probation_ends_at"] is None:
            raise BadInput("--probation-until needs a time; use --no-probation to end it")
    if no_probation:
        wanted["probation_ends_at"] = None
    if not wanted:
        raise BadInput("nothing to update: give --name, --region, --probation-until or "
                       "--no-probation")
    return wanted


def _rename_official(uow: UnitOfWork, shop: Shop, official: Account | None, actor: str,
                     now: datetime) -> None:
    """TikTok keeps the official account's nickname the same as the shop's name."""
    if official is None:
        return
    changes = audit.apply(official, {"nickname": shop.name,
                                     "nickname_key": validate.search_key(shop.name)})
    changes.pop("nickname_key", None)
    if changes:
        official.updated_at = now
        audit.record(uow.session, "account", official.id, "follow shop rename", actor, now,
                     changes)


def unset_official(uow: UnitOfWork, shop_ref: str | int, now: datetime, *,
                   actor: str = OPERATOR) -> dict[str, Any]:
    """The shop has no official account from now on; unsetting none is a no-op."""
    with uow:
        shop = uow.lock_shop(lookup.shop(uow.session, shop_ref).id)
        if shop.official_account is not None:
            audit.record(uow.session, "shop", shop.id, "official unset", actor, now,
                         {"official_account": {"from": shop.official_account.username,
                                               "to": None}})
            shop.official_account = None
            uow.session.flush()
        view = shop_view(shop)
        uow.commit()
    return view


def set_official(uow: UnitOfWork, shop_ref: str | int, username: str, now: datetime, *,
                 actor: str = OPERATOR) -> dict[str, Any]:
    """Make the account the shop's official account, replacing any earlier one."""
    with uow:
        shop = lookup.shop(uow.session, shop_ref)
        account = lookup.account(uow.session, username)
        shop = settle(uow, shop.id, now)
        account = uow.lock_account(account.id)
        violations = rules.for_official_account(uow.session, shop, account, now)
        if violations:
            raise Refused(violations)
        before = shop.official_account.username if shop.official_account else None
        if before != account.username:
            audit.record(uow.session, "shop", shop.id, "official set", actor, now,
                         {"official_account": {"from": before, "to": account.username}})
        shop.official_account = account
        uow.session.flush()
        view = shop_view(shop)
        uow.commit()
    return view


def show_official(uow: UnitOfWork, shop_ref: str) -> dict[str, Any]:
    """The official account and its shop page: every active product of the shop."""
    with uow:
        shop = lookup.shop(uow.session, shop_ref)
        official = shop.official_account
        return {
            "shop": shop_view(shop),
            "official_account": account_view(official) if official else None,
            "shop_page": shop_page(uow.session, shop.id),
        }
