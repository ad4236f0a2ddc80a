"""Overdue timer transitions applied set-based: the daemon's sweep and every command's catch-up.

One statement family, named and written once. SQLite holds the write lock for the
whole transaction, so an INSERT ... SELECT of the history and an UPDATE over the
same ordered selection see the same rows. PostgreSQL claims, moves and records a
batch in one statement: a SKIP LOCKED claim, an UPDATE ... RETURNING and the
history INSERT, chained as CTEs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import lookup
from shoplink.workflows.driver import driven
from shoplink.workflows.models import Link, LinkEvent, OutboxEvent, Shop
from shoplink.workflows.outbox import OUTBOX_LOCK, OUTBOX_TYPES, OUTBOX_WRITTEN_SETTING
from shoplink.workflows.types import UTCDateTime
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.vocabulary import SYSTEM, TIMERS, Timer, entered, recorded

LINKS = cast(sa.Table, Link.__table__)
EVENTS = cast(sa.Table, LinkEvent.__table__)
OUTBOX = cast(sa.Table, OutboxEvent.__table__)
OUTBOX_COLUMNS = ["type", "link_id", "shop_id", "account_id", "history_id", "event",
                  "from_state", "to_state", "actor", "at", "recorded_at"]
HISTORY_COLUMNS = ["link_id", "event", "from_state", "to_state", "actor", "at", "recorded_at"]


@dataclass
class Applied:
    """What one pass changed: transitions per event and the oldest deadline among them."""

    counts: dict[str, int] = field(default_factory=dict)
    oldest: datetime | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, event: str, count: int, oldest: datetime | None) -> None:
        self.counts[event] = self.counts.get(event, 0) + count
        if oldest is not None and (self.oldest is None or oldest < self.oldest):
            self.oldest = oldest


def _due(timer: Timer, now: datetime, shop_id: int | None, limit: int | None) -> sa.Select:
    deadline = LINKS.c[timer.deadline]
    query = sa.select(LINKS.c.id, deadline.label("deadline")).where(
        LINKS.c.state == lookup.literal_name(timer.source),
        deadline <= sa.literal(now, UTCDateTime()),
    )
    if shop_id is not None:  # through the shop's open links, not every due one
        query = query.where(LINKS.c.shop_id == shop_id, lookup.open_only())
    return query.order_by(deadline, LINKS.c.id).limit(limit)


def _moved_values(timer: Timer, deadline: sa.ColumnElement) -> dict[str, object]:
    """What the link row gets: machine.entered, the description the per-link path uses."""
    return dict(entered(timer.target, deadline))


def _history_values(timer: Timer, deadline: sa.ColumnElement,
                    now: datetime) -> list[sa.ColumnElement]:
    """The history row's values in HISTORY_COLUMNS order, from machine.recorded."""
    row = recorded(timer.event, timer.source, timer.target, actor=SYSTEM, at=deadline,
                   now=sa.literal(now, UTCDateTime()))
    return [value if isinstance(value, sa.ColumnElement) else sa.literal(value)
            for value in (row[column] for column in HISTORY_COLUMNS[1:])]


def _apply_postgresql(session: Session, timer: Timer, now: datetime, shop_id: int | None,
                      limit: int | None, skip_locked: bool) -> tuple[int, datetime | None]:
    """Claim, move, record and (for a sweep) publish a batch in one statement.

    The claimed ids feed a primary-key `= ANY(ARRAY(...))` update whatever the planner
    thinks of the table, and each moved row draws its history id in RETURNING, so the
    history and outbox inserts read one CTE without joining. A sweep (`skip_locked`)
    publishes its outbox rows here, under the outbox lock, and tells the per-row trigger
    to skip them; a command's few rows are left to the trigger.
    """
    due = _due(timer, now, shop_id, limit).with_for_update(skip_locked=skip_locked).cte("due")
    deadline = LINKS.c[timer.deadline]
    history_id = sa.func.nextval(sa.func.pg_get_serial_sequence(EVENTS.name, "id"))
    moved = (
        sa.update(LINKS)
        .where(LINKS.c.id == sa.any_(sa.func.array(sa.select(due.c.id).scalar_subquery())),
               LINKS.c.state == lookup.literal_name(timer.source))
        .values(_moved_values(timer, deadline))
        .returning(LINKS.c.id, LINKS.c.shop_id, LINKS.c.account_id,
                   deadline.label("deadline"), history_id.label("history_id"))
        .cte("moved")
    )
    recorded = (
        sa.insert(EVENTS)
        .from_select(["id", *HISTORY_COLUMNS],
                     sa.select(moved.c.history_id, moved.c.id,
                               *_history_values(timer, moved.c.deadline, now)))
        .returning(EVENTS.c.at)
        .cte("recorded")
    )
    summary = sa.select(sa.func.count(), sa.func.min(recorded.c.at))
    if not skip_locked:
        count, oldest = session.execute(summary).one()
        return count, oldest
    published = sa.insert(OUTBOX).from_select(
        OUTBOX_COLUMNS,
        sa.select(
            sa.literal(OUTBOX_TYPES[timer.target]), moved.c.id, moved.c.shop_id,
            moved.c.account_id, moved.c.history_id,
            *_history_values(timer, moved.c.deadline, now),
        ).order_by(moved.c.history_id),
    ).cte("published")
    session.execute(
        sa.select(sa.func.set_config(OUTBOX_WRITTEN_SETTING, "on", True),
                  sa.func.pg_advisory_xact_lock(OUTBOX_LOCK))
    )
    count, oldest = session.execute(summary.add_cte(published)).one()
    session.execute(sa.select(sa.func.set_config(OUTBOX_WRITTEN_SETTING, "off", True)))
    return count, oldest


def _apply_sqlite(session: Session, timer: Timer, now: datetime, shop_id: int | None,
                  limit: int | None) -> tuple[int, datetime | None]:
    due = _due(timer, now, shop_id, limit).subquery("due")
    oldest = session.execute(sa.select(sa.func.min(due.c.deadline))).scalar()
    if oldest is None:
        return 0, None
    session.execute(
        sa.insert(EVENTS).from_select(
            HISTORY_COLUMNS, sa.select(due.c.id, *_history_values(timer, due.c.deadline, now))
        )
    )
    ids = sa.select(due.c.id)
    deadline = LINKS.c[timer.deadline]
    result = session.execute(
        sa.update(LINKS).where(LINKS.c.id.in_(ids)).values(_moved_values(timer, deadline))
    )
    moved = cast(sa.CursorResult[Any], result).rowcount
    return moved, UTCDateTime().process_result_value(oldest, session.get_bind().dialect)


def apply_due(session: Session, now: datetime, *, shop_id: int | None = None,
              limit: int | None = None, skip_locked: bool = False) -> Applied:
    """Apply every timer transition due at `now` (for one shop, or all), up to `limit` each.

    Each history row's `at` is the deadline; `recorded_at` is `now`. The caller commits.
    """
    applied = Applied()
    for timer in TIMERS:
        if session.get_bind().dialect.name == "postgresql":
            count, oldest = _apply_postgresql(session, timer, now, shop_id, limit, skip_locked)
        else:
            count, oldest = _apply_sqlite(session, timer, now, shop_id, limit)
        applied.add(timer.event, count, oldest)
    return applied


def catch_up(uow: UnitOfWork, shop_id: int, now: datetime) -> Applied:
    """Apply the shop's overdue timers in a short transaction of their own, committed.

    They hold whatever the command then does, so a refusal never has to commit. The
    command's own transaction ends first: SQLite has one writer at a time. When nothing
    is overdue (one indexed read), the command's transaction simply goes on.
    """
    if not overdue(uow.session.connection(), now, shop_ids=[shop_id]):
        return Applied()
    uow.session.rollback()
    with UnitOfWork(uow.engine) as own:
        own.lock_shop(shop_id)
        applied = apply_due(own.session, now, shop_id=shop_id)
        if applied.total:
            own.commit()
    return applied


def settle(uow: UnitOfWork, shop_id: int, now: datetime) -> Shop:
    """Bring the shop's links up to `now`, then lock the shop in the command's transaction:
    the start of every link command."""
    catch_up(uow, shop_id, now)
    return uow.lock_shop(shop_id)


def read_shop(uow: UnitOfWork, shop_ref: str | int, now: datetime) -> Any:
    """The start of a read of one shop (`uow.reading()`): the shop, and in the same
    statement whether one of its timers is overdue; caught up first only when one is."""
    shop = lookup.shop_row(uow.session.connection(), shop_ref, overdue_at=now)
    if shop.overdue:
        _catch_up_reading(uow, [shop.id], now)
    return shop


def read_link_shop(uow: UnitOfWork, key: int, now: datetime,
                   reach: lookup.Reach | None = None) -> None:
    """The start of a read of one link (`uow.reading()`): its shop, and in the same
    statement whether one of that shop's timers is overdue; caught up first only then.
    A link outside `reach` is not found."""
    owners = lookup.link_owners(uow.session.connection(), key, reach, overdue_at=now)
    if owners.overdue:
        _catch_up_reading(uow, [owners.shop_id], now)


def catch_up_for_read(uow: UnitOfWork, shop_ids: list[int] | None, now: datetime) -> None:
    """The start of a read (`uow.reading()`): only when a timer of these shops (None: of
    any) is overdue, catch up (in short transactions of their own), then read on from a
    fresh snapshot. A read that finds nothing overdue takes no lock and writes nothing."""
    if overdue(uow.session.connection(), now, shop_ids=shop_ids):
        _catch_up_reading(uow, shop_ids, now)


def _catch_up_reading(uow: UnitOfWork, shop_ids: list[int] | None, now: datetime) -> None:
    uow.session.rollback()
    catch_up_shops(uow.engine, shop_ids, now)
    uow.begin_read()


def catch_up_shops(engine: sa.Engine, shop_ids: list[int] | None, now: datetime) -> None:
    """Apply what is due at `now` of these shops (None: of every shop), each shop in a
    short transaction of its own: what a read found overdue, before it reads again."""
    if shop_ids is None:
        with UnitOfWork(engine) as own:
            apply_due(own.session, now)
            own.commit()
    for shop_id in sorted(shop_ids or ()):  # one lock order, so two callers never deadlock
        with UnitOfWork(engine) as own:
            own.lock_shop(shop_id)
            if apply_due(own.session, now, shop_id=shop_id).total:
                own.commit()


def next_deadline(session: Session, after: datetime | None = None) -> datetime | None:
    """The earliest deadline of any pending timer (only those later than `after`, if given)."""
    candidates = []
    for timer in TIMERS:
        deadline = LINKS.c[timer.deadline]
        query = sa.select(sa.func.min(deadline)).where(
            LINKS.c.state == lookup.literal_name(timer.source))
        if after is not None:
            query = query.where(deadline > sa.literal(after, UTCDateTime()))
        candidates.append(session.execute(query).scalar())
    dialect = session.get_bind().dialect
    found = [UTCDateTime().process_result_value(c, dialect) for c in candidates if c is not None]
    return min((f for f in found if f is not None), default=None)


def overdue(session: Session | sa.Connection, now: datetime, *,
            shop_ids: list[int] | None = None) -> bool:
    """Whether any timer transition is due at `now` (of these shops, or of any): one read.

    A read asks this first and catches up only when it must (SPEC section 2)."""
    params: dict[str, Any] = {"now": now}
    if shop_ids is None:
        of = "any"
    elif len(shop_ids) == 1:  # every command: an equality, no list to expand per execution
        of, params["shop_id"] = "one", shop_ids[0]
    else:
        of, params["shop_ids"] = "some", shop_ids
    if of == "some":  # a list of shops, expanded at each execution by SQLAlchemy
        return bool(session.execute(_overdue_query(of), params).scalar())
    return bool(driven(_overdue_query(of)).scalar(session, params))


@functools.cache
def _overdue_query(of: str) -> sa.Select[Any]:
    """Built once, with the time and the shops (`of` "any", "one" or "some") bound."""
    if of == "one":
        return sa.select(lookup.overdue_where(LINKS.c.shop_id == sa.bindparam("shop_id")))
    if of == "some":
        return sa.select(lookup.overdue_where(
            LINKS.c.shop_id.in_(sa.bindparam("shop_ids", expanding=True))))
    return sa.select(lookup.overdue_where())
