"""A link as one command moves it: read with a few named Core statements, moved by the
machine, written back with one UPDATE or INSERT and one INSERT of its new history (one
statement for both on PostgreSQL, where each is a round trip).

The commands that move a link are the path people wait on. The ORM's unit of work (a
flush, the identity map, relationship loads) cost more per link than everything else
the command does, so this path reads rows and writes them itself; the statements are
built once, with bound parameters, because building them costs more than running them.
Reads elsewhere (views, pages, the CLI's listings) keep the ORM models.

On PostgreSQL the reads that must hold a row use FOR UPDATE, in the one lock order of
every command: the shop, then the account, then the link. On SQLite the transaction's
BEGIN IMMEDIATE already holds the whole database, so nothing is read twice.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import lookup, timers, transition_log
from shoplink.workflows.driver import driven, pipelined
from shoplink.workflows.errors import NotFound
from shoplink.workflows.lookup import Reach
from shoplink.workflows.models import Account, Link, LinkEvent, Shop

LINKS = cast(sa.Table, Link.__table__)
EVENTS = cast(sa.Table, LinkEvent.__table__)
SHOPS = cast(sa.Table, Shop.__table__)
ACCOUNTS = cast(sa.Table, Account.__table__)
# The link's own columns the machine may change.
MOVED_COLUMNS = ("state", "created_at", "invited_at", "expires_at", "linked_at",
                 "unlockable_at", "ended_at")
# A history row as the sweeps write it (without its link_id), and its details.
HISTORY_COLUMNS = (*timers.HISTORY_COLUMNS[1:], "details")


class Moving:
    """The model the machine moves: the link's columns, its shop and account as this
    transaction read them, its history so far and the history rows this command adds."""

    state: str
    created_at: datetime
    invited_at: datetime | None
    expires_at: datetime | None
    linked_at: datetime | None
    unlockable_at: datetime | None
    ended_at: datetime | None

    def __init__(self, shop: Any, account: Any, values: Mapping[str, Any],
                 history: list[Any] | None = None) -> None:
        self.id: int | None = values.get("id")
        self.shop, self.account = shop, account
        self.shop_id, self.account_id = shop.id, account.id
        for column in MOVED_COLUMNS:
            setattr(self, column, values.get(column))
        self._read = {column: values.get(column) for column in MOVED_COLUMNS}
        self.history: list[Any] = list(history or [])
        self.added: list[dict[str, Any]] = []

    def record(self, row: Mapping[str, Any], details: dict[str, Any] | None = None) -> None:
        """Append the history row of one transition (machine.recorded describes it)."""
        event = {**row, "details": details}
        self.added.append(event)
        self.history.append(SimpleNamespace(**event))

    def changed(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in MOVED_COLUMNS if getattr(self, c) != self._read[c]}


def lock(connection: sa.Connection, *rows: tuple[sa.Table, int]) -> None:
    """PostgreSQL: hold rows of the shops or accounts (table, id) until commit, in the order
    given, sent together (SQLite's transaction holds them all already)."""
    if connection.dialect.name != "postgresql":
        return
    with pipelined(connection) if len(rows) > 1 else contextlib.nullcontext():
        for table, key in rows:
            query = lookup.shop_query if table is SHOPS else lookup.account_query
            driven(query("id", True, "postgresql")).execute(connection, {"key": key})


@functools.cache
def _link_query(lock: bool, dialect: str) -> sa.Select[Any]:
    """The link with its shop, its account and its history, one row per history row."""
    shop = SHOPS.alias("shop")
    account = ACCOUNTS.alias("account")
    query = (
        sa.select(LINKS, *(c.label(f"shop__{c.name}") for c in shop.c),
                  *(c.label(f"account__{c.name}") for c in account.c),
                  *(EVENTS.c[name].label(f"event__{name}") for name in HISTORY_COLUMNS))
        .join(shop, shop.c.id == LINKS.c.shop_id)
        .join(account, account.c.id == LINKS.c.account_id)
        .outerjoin(EVENTS, EVENTS.c.link_id == LINKS.c.id)
        .where(LINKS.c.id == sa.bindparam("key"))
        .order_by(EVENTS.c.id)
    )
    return lookup.locking(query, dialect, LINKS) if lock else query


def link(connection: sa.Connection, key: int, *, lock: bool = False,
         reach: Reach | None = None) -> Moving:
    """The link, with what the machine and the answer need; outside `reach`, not found."""
    rows = driven(_link_query(lock, connection.dialect.name)).all(connection, {"key": key})
    if not rows or (reach is not None and not reach.allows(rows[0].shop_id,
                                                             rows[0].account_id)):
        raise NotFound(f"no link {key}")
    first = rows[0]._mapping
    shop = SimpleNamespace(**{c.name: first[f"shop__{c.name}"] for c in SHOPS.c})
    account = SimpleNamespace(**{c.name: first[f"account__{c.name}"] for c in ACCOUNTS.c})
    history = [SimpleNamespace(**{name: row._mapping[f"event__{name}"] for name in HISTORY_COLUMNS})
               for row in rows if row.event__event is not None]
    return Moving(shop, account, dict(first), history)


@functools.cache
def _insert_query() -> sa.Insert:
    return sa.insert(LINKS).returning(LINKS.c.id)


@functools.cache
def _update_query() -> sa.Update:
    return (sa.update(LINKS).where(LINKS.c.id == sa.bindparam("key"))
            .values({column: sa.bindparam(f"new_{column}", type_=LINKS.c[column].type)
                     for column in MOVED_COLUMNS}))


def insert(session: Session, moving: Moving) -> None:
    """Write a new link and its history; the link gets its id."""
    values = {"shop_id": moving.shop_id, "account_id": moving.account_id,
              **{column: getattr(moving, column) for column in MOVED_COLUMNS}}
    _write(session, moving, "insert", values)


def update(session: Session, moving: Moving) -> None:
    """Write what the machine changed on a link, and its new history."""
    if not moving.changed():
        _insert_history(session, moving)
        return
    values = {f"new_{column}": getattr(moving, column) for column in MOVED_COLUMNS}
    _write(session, moving, "update", {"key": moving.id, **values})


def _write(session: Session, moving: Moving, kind: str, values: dict[str, Any]) -> None:
    """The link's INSERT or UPDATE, then its new history rows. On PostgreSQL, where each
    statement is a round trip, both in one (`_with_history_query`)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or not moving.added:
        if kind == "insert":
            moving.id = driven(_insert_query()).scalar(connection, values)
        else:
            driven(_update_query()).execute(connection, values)
        _insert_history(session, moving)
        return
    rows = moving.added
    history = {f"{name}_{i}": row.get(name) for i, row in enumerate(rows)
               for name in HISTORY_COLUMNS}
    statement = driven(_with_history_query(kind, len(rows)))
    if kind == "insert":
        moving.id = statement.scalar(connection, {**values, **history})
    else:  # nothing to read back: in a pipelined block, sent with the rest
        statement.execute(connection, {**values, **history})
    transition_log.written(session, [SimpleNamespace(link_id=moving.id, **row) for row in rows])
    moving.added = []


@functools.cache
def _with_history_query(kind: str, count: int) -> sa.Insert:
    """PostgreSQL: `WITH written AS (INSERT INTO links ... | UPDATE links ... RETURNING id)
    INSERT INTO link_events SELECT written.id, history.* ...`, the `count` history rows in
    the order they happened."""
    link = (sa.insert(LINKS).values({name: sa.bindparam(name, type_=LINKS.c[name].type)
                                     for name in ("shop_id", "account_id", *MOVED_COLUMNS)})
            if kind == "insert" else _update_query())
    written = link.returning(LINKS.c.id).cte("written_link")
    history = sa.union_all(*(
        sa.select(sa.literal(i).label("position"),
                  *(sa.bindparam(f"{name}_{i}", type_=EVENTS.c[name].type).label(name)
                    for name in HISTORY_COLUMNS))
        for i in range(count))).subquery("history")
    rows = (sa.select(written.c.id, *(history.c[name] for name in HISTORY_COLUMNS))
            .select_from(written).join(history, sa.true()).order_by(history.c.position))
    return (sa.insert(EVENTS).from_select(["link_id", *HISTORY_COLUMNS], rows)
            .returning(EVENTS.c.link_id))


@functools.cache
def _history_query() -> sa.Insert:
    return sa.insert(EVENTS)


def _insert_history(session: Session, moving: Moving) -> None:
    """The rows the machine recorded, in one statement; each is logged once committed."""
    if moving.added:
        rows = [{"link_id": moving.id, **row} for row in moving.added]
        driven(_history_query()).many(session.connection(), rows)
        transition_log.written(session, [SimpleNamespace(**row) for row in rows])
        moving.added = []

