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

from shoplink.workflows.models import Account, Link, Shop
from shoplink.workflows.timers import read_shop
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.views import listed_link_view
from shoplink.workflows.vocabulary import SLOT_STATES


def marketing_accounts(uow: UnitOfWork, shop_ref: str | int, now: datetime) -> list[dict[str, Any]]:
    """The Marketing accounts tab: the links holding one of the shop's four slots."""
    with uow.reading():
        shop_id = read_shop(uow, shop_ref, now).id
        return slot_holders(uow.session.connection(), shop_id)


def slot_holders(connection: sa.Connection, shop_id: int) -> list[dict[str, Any]]:
    """The caught-up shop's links in a slot-holding state, oldest first."""
    rows = connection.execute(_slot_holders_query(), {"shop_id": shop_id})
    return [listed_link_view(row) for row in rows]


@functools.cache
def _slot_holders_query() -> sa.Select[Any]:
    """Built once: the links with their shop's name and account's names, one read."""
    links, shops, accounts = (cast(sa.Table, m.__table__) for m in (Link, Shop, Account))
    return (
        sa.select(links, shops.c.name.label("shop_name"),
                  accounts.c.username.label("account_username"),
                  accounts.c.nickname.label("account_nickname"),
                  accounts.c.email.label("account_email"))
        .join(shops, shops.c.id == links.c.shop_id)
        .join(accounts, accounts.c.id == links.c.account_id)
        .where(links.c.shop_id == sa.bindparam("shop_id"), links.c.state.in_(SLOT_STATES))
        .order_by(links.c.id)
    )
