"""The service layer for shops and their official account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shoplink.workflows import lookup, rules, validate
from shoplink.workflows.clock import iso
from shoplink.workflows.errors import Refused
from shoplink.workflows.limits import LINK_WINDOW, MAX_LINKS_IN_WINDOW, MAX_MARKETING_ACCOUNTS
from shoplink.workflows.links import slot_holders
from shoplink.workflows.models import Link, Shop
from shoplink.workflows.products import shop_page
from shoplink.workflows.timers import settle
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
    with uow:
        shop = settle(uow, lookup.shop(uow.session, shop_ref).id, now)
        view = _detail(uow, shop, now)
        uow.commit()
    return view


def marketing_tab(uow: UnitOfWork, shop_ref: str, now: datetime) -> dict[str, Any]:
    """The Marketing accounts tab in one transaction: the shop's counts (as `show_shop`)
    and the links holding a slot (as `marketing_accounts`)."""
    with uow:
        shop = settle(uow, lookup.shop(uow.session, shop_ref).id, now)
        view = {"shop": _detail(uow, shop, now), "links": slot_holders(uow.session, shop.id)}
        uow.commit()
    return view


def _detail(uow: UnitOfWork, shop: Shop, now: datetime) -> dict[str, Any]:
    view = shop_view(shop)
    by_state = dict(
        uow.session.execute(
            sa.select(Link.state, sa.func.count()).where(Link.shop_id == shop.id)
            .group_by(Link.state)
        ).all()
    )
    window = rules.window_releases(uow.session, Link.shop_id == shop.id, now)
    view.update(
        in_probation=bool(rules.shop_in_probation(shop, now)),
        marketing_accounts=rules.slots_used(uow.session, shop.id, now),
        marketing_account_limit=MAX_MARKETING_ACCOUNTS,
        links_in_180_days=len(window),
        link_change_limit=MAX_LINKS_IN_WINDOW,
        next_window_release=iso(window[0]) if window else None,
        window_days=LINK_WINDOW.days,
        links_by_state=by_state,
    )
    return view


def set_official(uow: UnitOfWork, shop_ref: str | int, username: str,
                 now: datetime) -> dict[str, Any]:
    """Make the account the shop's official account, replacing any earlier one."""
    with uow:
        shop = lookup.shop(uow.session, shop_ref)
        account = lookup.account(uow.session, username)
        shop = settle(uow, shop.id, now)
        account = uow.lock_account(account.id)
        violations = rules.for_official_account(uow.session, shop, account, now)
        if violations:
            raise Refused(violations)
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
