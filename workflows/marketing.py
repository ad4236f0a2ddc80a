"""The Marketing accounts tab: the links holding one of a shop's four slots.

A read that fires no event, so it stays off the link machine's path (python-statemachine,
the rules, the outbox): `shoplink marketing` loads only what it shows. workflows/links.py
holds the commands that change links.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa

from shoplink.workflows.db import single_read
from shoplink.workflows.driver import driven
from shoplink.workflows.lookup import find_shop, open_only, overdue_where, states_in
from shoplink.workflows.models import Account, Link, Shop
from shoplink.workflows.timers import catch_up_shops
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.views import listed_link_view
from shoplink.workflows.vocabulary import SLOT_STATES

LINKS, SHOPS, ACCOUNTS = (cast(sa.Table, m.__table__) for m in (Link, Shop, Account))
# What a listed link shows (views.listed_link_view): its columns, its shop's name and its
# account's names.
LISTED_COLUMNS = (LINKS, SHOPS.c.name.label("shop_name"),
                  ACCOUNTS.c.username.label("account_username"),
                  ACCOUNTS.c.nickname.label("account_nickname"),
                  ACCOUNTS.c.email.label("account_email"))


def marketing_accounts(uow: UnitOfWork, shop_ref: str | int, now: datetime) -> list[dict[str, Any]]:
    """The Marketing accounts tab: the links holding one of the shop's four slots.

    One statement on a connection of its own (`db.single_read`: no session, and on SQLite
    no BEGIN): the shop, whether one of its timers is overdue, and its slot holders. Only
    when one is overdue is the shop caught up (timers.catch_up_shops) and read again."""
    rows = _tab(uow.engine, shop_ref, now)
    if rows[0].overdue:
        catch_up_shops(uow.engine, [rows[0].tab_shop_id], now)
        rows = _tab(uow.engine, rows[0].tab_shop_id, now)
    return [listed_link_view(row) for row in rows if row.id is not None]


def _tab(engine: sa.Engine, shop_ref: str | int, now: datetime) -> list[Any]:
    with single_read(engine) as connection:
        def read(by: str, key: str | int) -> list[Any] | None:
            return driven(_tab_query(by)).all(connection, {"key": key, "now": now}) or None

        return find_shop(shop_ref, lambda key: read("id", key), lambda name: read("name", name))


@functools.cache
def _tab_query(by: str) -> sa.Select[Any]:
    """Built once per way of naming the shop: the slot holders as `_slot_holders_query`
    reads them, outer-joined to the shop (a shop with none gives one row of NULLs)."""
    others = LINKS.alias("others")  # the overdue question's links, apart from the listed
    held = sa.and_(LINKS.c.shop_id == SHOPS.c.id, open_only(), states_in(SLOT_STATES))
    return (
        sa.select(SHOPS.c.id.label("tab_shop_id"),
                  overdue_where(others.c.shop_id == SHOPS.c.id, links=others).label("overdue"),
                  *LISTED_COLUMNS)
        .select_from(SHOPS.outerjoin(LINKS, held)
                     .outerjoin(ACCOUNTS, ACCOUNTS.c.id == LINKS.c.account_id))
        .where(SHOPS.c[by] == sa.bindparam("key"))
        .order_by(LINKS.c.id)
    )


def slot_holders(connection: sa.Connection, shop_id: int) -> list[dict[str, Any]]:
    """The caught-up shop's links in a slot-holding state, oldest first."""
    rows = driven(_slot_holders_query()).all(connection, {"shop_id": shop_id})
    return [listed_link_view(row) for row in rows]


@functools.cache
def _slot_holders_query() -> sa.Select[Any]:
    """Built once: the links with their shop's name and account's names, one read."""
    return (
        sa.select(*LISTED_COLUMNS)
        .join(SHOPS, SHOPS.c.id == LINKS.c.shop_id)
        .join(ACCOUNTS, ACCOUNTS.c.id == LINKS.c.account_id)
        .where(LINKS.c.shop_id == sa.bindparam("shop_id"), open_only(), states_in(SLOT_STATES))
        .order_by(LINKS.c.id)
    )
