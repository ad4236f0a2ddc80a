"""Finding what a person named: a shop by id or exact name, an account, a link."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from shoplink.workflows import validate
from shoplink.workflows.driver import driven
from shoplink.workflows.errors import BadInput, NotFound, quoted
from shoplink.workflows.models import Account, Link, Shop
from shoplink.workflows.types import UTCDateTime
from shoplink.workflows.vocabulary import FINAL_STATES, TIMERS

SHOPS = cast(sa.Table, Shop.__table__)
ACCOUNTS = cast(sa.Table, Account.__table__)
LINKS = cast(sa.Table, Link.__table__)
T = TypeVar("T")
MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger number names nothing (PostgreSQL raises)


@dataclass(frozen=True)
class Reach:
    """What an API caller may touch: one shop's links (its seller), or one account's.

    Outside it, a link answers NotFound as if absent. The CLI passes no reach: everything.
    """

    shop_id: int | None = None
    account_id: int | None = None

    def allows(self, shop_id: int, account_id: int) -> bool:
        return shop_id == self.shop_id or account_id == self.account_id


def parse_id(raw: str | int, what: str) -> int:
    """The one id parser of the CLI and the API: digits, and a number beyond any id is absent."""
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()):
        raise BadInput(f"invalid {what} id {quoted(text)}: use the number shoplink shows")
    number = int(text) if len(text) <= 20 else MAX_ID + 1
    if not 1 <= number <= MAX_ID:
        raise NotFound(f"no {what} {text[:20]}")
    return number


def shop(session: Session, ref: str | int) -> Shop:
    """SHOP is an id or an exact name; a name made of digits is tried as a name too.

    An int is an id only (the API passes its caller's shop id)."""
    return find_shop(
        ref, lambda key: session.get(Shop, key),
        lambda name: session.execute(sa.select(Shop).where(Shop.name == name)).unique().scalar())


def find_shop(ref: str | int, by_id: Callable[[int], T | None],
               by_name: Callable[[str], T | None]) -> T:
    """The one reading of SHOP, for the ORM and the Core lookups alike."""
    if isinstance(ref, int):
        found_by_id = by_id(ref) if 1 <= ref <= MAX_ID else None
        if found_by_id is None:
            raise NotFound(f"no shop {ref}")
        return found_by_id
    text = str(ref).strip()
    found = by_name(text)
    if found is None and text.isascii() and text.isdigit() and int(text) <= MAX_ID:
        found = by_id(int(text))
    if found is None:
        raise NotFound(f"no shop {quoted(text)}")
    return found


def account(session: Session, username: str) -> Account:
    name = validate.username(username)
    found = session.execute(sa.select(Account).where(Account.username == name)).scalar()
    if found is None:
        raise NotFound(f"no account @{name}")
    return found


def locking(query: sa.Select[Any], dialect: str, *tables: sa.Table) -> sa.Select[Any]:
    return query.with_for_update(of=list(tables)) if dialect == "postgresql" else query


def literal_name(name: str) -> sa.ColumnElement[str]:
    """A name (a link's state, a delivery's status) written into the SQL, not bound.

    SQLite matches it to a partial index's WHERE once, when it prepares the statement. A
    bound value compared with one while planning makes SQLite prepare the statement again
    at every execution (`sqlite3_stmt_status` REPREPARE), as much work as a small read."""
    assert name.isidentifier(), name  # safe as an SQL literal
    return sa.literal_column(f"'{name}'", sa.String())


def states_in(states: Iterable[str], links: sa.FromClause = LINKS) -> sa.ColumnElement[bool]:
    """`state IN (...)` with the states written into the SQL (`literal_name`): built once, it
    runs with no list to expand at each execution."""
    return links.c.state.in_([literal_name(name) for name in states])


def open_only(links: sa.FromClause = LINKS) -> sa.ColumnElement[bool]:
    """The link is open (`ended_at IS NULL`), written as the WHERE of the unique index of
    open links (migration 0010). A read of a shop's open links adds it, even beside a
    narrower state condition, so that SQLite reads that index (the shop's few open links)
    and not every link the shop ever had: it uses a partial index only for a query that
    repeats the index's WHERE term. A link has `ended_at` exactly when its state is final
    (vocabulary.entered)."""
    return links.c.ended_at.is_(None)


def ended_only(links: sa.FromClause = LINKS) -> sa.ColumnElement[bool]:
    """The link has ended: its state is final, written as the WHERE of
    `ix_links_shop_ended` (migration 0010), for reads of a shop's ended links by state;
    `open_only`'s counterpart. By state, not by `ended_at`, so that a count by state
    reads that index alone."""
    return states_in(FINAL_STATES, links)


def overdue_where(*conditions: sa.ColumnElement[bool],
                  links: sa.FromClause = LINKS) -> sa.ColumnElement[bool]:
    """Whether a timer transition is due at the bound `now` among the `links` (the table,
    or an alias of it inside a query of links) that `conditions` pick (none: all): one
    EXISTS per timer, each on its state and deadline index."""
    at = sa.bindparam("now", type_=UTCDateTime())
    return sa.or_(*(sa.exists(sa.select(links.c.id).where(
        links.c.state == literal_name(timer.source), open_only(links),
        links.c[timer.deadline] <= at, *conditions))
        for timer in TIMERS))


@functools.cache
def shop_query(by: str, lock: bool, dialect: str, overdue: bool = False) -> sa.Select[Any]:
    """The shop by `by` (id or name), with its official account's username and, with
    `overdue`, whether one of its timers is due at the bound `now`."""
    official = ACCOUNTS.alias("official")
    columns: list[Any] = [SHOPS, official.c.username.label("official_username")]
    if overdue:
        columns.append(overdue_where(LINKS.c.shop_id == SHOPS.c.id).label("overdue"))
    query = (sa.select(*columns)
             .outerjoin(official, official.c.id == SHOPS.c.official_account_id)
             .where(SHOPS.c[by] == sa.bindparam("key")))
    return locking(query, dialect, SHOPS) if lock else query


@functools.cache
def account_query(by: str, lock: bool, dialect: str) -> sa.Select[Any]:
    query = sa.select(ACCOUNTS).where(ACCOUNTS.c[by] == sa.bindparam("key"))
    return locking(query, dialect, ACCOUNTS) if lock else query


def shop_row(connection: sa.Connection, ref: str | int, *, lock: bool = False,
             overdue_at: datetime | None = None) -> Any:
    """`shop` as a row (with `official_username`), for the paths people wait on;
    held until commit on PostgreSQL with `lock` (SQLite's writers hold the database).
    With `overdue_at`, the row also says whether one of the shop's timers is due then
    (`overdue`), in the same statement."""
    dialect, asks = connection.dialect.name, overdue_at is not None
    params = {"now": overdue_at} if asks else {}
    return find_shop(
        ref,
        lambda key: driven(shop_query("id", lock, dialect, asks)).first(
            connection, {"key": key, **params}),
        lambda name: driven(shop_query("name", lock, dialect, asks)).first(
            connection, {"key": name, **params}))


def account_row(connection: sa.Connection, username: str, *, lock: bool = False) -> Any:
    """`account` as a row; held until commit on PostgreSQL with `lock`."""
    name = validate.username(username)
    query = account_query("username", lock, connection.dialect.name)
    found = driven(query).first(connection, {"key": name})
    if found is None:
        raise NotFound(f"no account @{name}")
    return found


def link_id(raw: str | int) -> int:
    return parse_id(raw, "link")


@functools.cache
def _owners_query(overdue: bool) -> sa.Select[Any]:
    columns: list[Any] = [LINKS.c.shop_id, LINKS.c.account_id]
    if overdue:  # of the link's shop: its other links, under an alias of their own
        others = LINKS.alias("others")
        columns.append(overdue_where(others.c.shop_id == LINKS.c.shop_id, links=others)
                       .label("overdue"))
    return sa.select(*columns).where(LINKS.c.id == sa.bindparam("key"))


def link_owners(connection: sa.Connection, key: int, reach: Reach | None = None, *,
                overdue_at: datetime | None = None) -> Any:
    """A link's `shop_id` and `account_id`, read without locking so they can be locked
    first; a link outside the caller's reach is not found. With `overdue_at`, the row
    also says whether one of the shop's timers is due then (`overdue`)."""
    params: dict[str, Any] = {"key": key}
    if overdue_at is not None:
        params["now"] = overdue_at
    found = driven(_owners_query(overdue_at is not None)).first(connection, params)
    if found is None or (reach is not None and not reach.allows(found.shop_id,
                                                                found.account_id)):
        raise NotFound(f"no link {key}")
    return found


def link_shop_id(session: Session, key: int, reach: Reach | None = None) -> int:
    """The shop a link belongs to (`link_owners`), on the session's connection."""
    return int(link_owners(session.connection(), key, reach).shop_id)


def link_for_update(session: Session, key: int) -> Link:
    """The link, locked (PostgreSQL: FOR UPDATE; SQLite: BEGIN IMMEDIATE already holds it,
    so a link this transaction has read is current and is not read again)."""
    if session.get_bind().dialect.name != "postgresql":
        return session.get_one(Link, key)
    query = (sa.select(Link).where(Link.id == key).execution_options(populate_existing=True)
             .options(joinedload(Link.history))  # what the answer shows, in the same trip
             .with_for_update(of=Link))
    return session.execute(query).unique().scalar_one()
