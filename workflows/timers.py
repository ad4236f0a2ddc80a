"""Overdue timer transitions applied set-based: the daemon's sweep and every command's catch-up.

One statement family, named and written once. SQLite holds the write lock for the
whole transaction, so an INSERT ... SELECT of the history and an UPDATE over the
same ordered selection see the same rows. PostgreSQL claims, moves and records a
batch in one statement: a SKIP LOCKED claim, an UPDATE ... RETURNING and the
history INSERT, chained as CTEs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from workflows.machine import Timer, timers
from workflows.models import Link, LinkEvent
from workflows.types import UTCDateTime

LINKS = Link.__table__
EVENTS = LinkEvent.__table__
HISTORY_COLUMNS = ["link_id", "event", "from_state", "to_state", "actor", "at", "recorded_at"]
SYSTEM = "system"


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
        LINKS.c.state == timer.source, deadline <= sa.literal(now, UTCDateTime())
    )
    if shop_id is not None:
        query = query.where(LINKS.c.shop_id == shop_id)
    return query.order_by(deadline, LINKS.c.id).limit(limit)


def _moved_values(timer: Timer, deadline: sa.ColumnElement) -> dict[str, object]:
    values: dict[str, object] = {"state": timer.target}
    if timer.ends_link:
        values["ended_at"] = deadline
    return values


def _history_select(timer: Timer, link_id: sa.ColumnElement, deadline: sa.ColumnElement,
                    now: datetime) -> sa.Select:
    return sa.select(
        link_id, sa.literal(timer.event), sa.literal(timer.source), sa.literal(timer.target),
        sa.literal(SYSTEM), deadline, sa.literal(now, UTCDateTime()),
    )


def _apply_postgresql(session: Session, timer: Timer, now: datetime, shop_id: int | None,
                      limit: int | None, skip_locked: bool) -> tuple[int, datetime | None]:
    due = _due(timer, now, shop_id, limit).with_for_update(skip_locked=skip_locked).cte("due")
    moved = (
        sa.update(LINKS)
        .where(LINKS.c.id == due.c.id, LINKS.c.state == timer.source)
        .values(_moved_values(timer, due.c.deadline))
        .returning(LINKS.c.id, due.c.deadline)
        .cte("moved")
    )
    recorded = (
        sa.insert(EVENTS)
        .from_select(HISTORY_COLUMNS, _history_select(timer, moved.c.id, moved.c.deadline, now))
        .returning(EVENTS.c.at)
        .cte("recorded")
    )
    count, oldest = session.execute(sa.select(sa.func.count(), sa.func.min(recorded.c.at))).one()
    return count, oldest


def _apply_sqlite(session: Session, timer: Timer, now: datetime, shop_id: int | None,
                  limit: int | None) -> tuple[int, datetime | None]:
    due = _due(timer, now, shop_id, limit).subquery("due")
    oldest = session.execute(sa.select(sa.func.min(due.c.deadline))).scalar()
    if oldest is None:
        return 0, None
    session.execute(
        sa.insert(EVENTS).from_select(
            HISTORY_COLUMNS, _history_select(timer, due.c.id, due.c.deadline, now)
        )
    )
    ids = sa.select(due.c.id)
    deadline = LINKS.c[timer.deadline]
    result = session.execute(
        sa.update(LINKS).where(LINKS.c.id.in_(ids)).values(_moved_values(timer, deadline))
    )
    return result.rowcount, UTCDateTime().process_result_value(oldest, session.bind.dialect)


def apply_due(session: Session, now: datetime, *, shop_id: int | None = None,
              limit: int | None = None, skip_locked: bool = False) -> Applied:
    """Apply every timer transition due at `now` (for one shop, or all), up to `limit` each.

    Each history row's `at` is the deadline; `recorded_at` is `now`. The caller commits.
    """
    applied = Applied()
    for timer in timers():
        if session.bind.dialect.name == "postgresql":
            count, oldest = _apply_postgresql(session, timer, now, shop_id, limit, skip_locked)
        else:
            count, oldest = _apply_sqlite(session, timer, now, shop_id, limit)
        applied.add(timer.event, count, oldest)
    return applied


def next_deadline(session: Session) -> datetime | None:
    """The earliest deadline of any pending timer, due or not."""
    candidates = [
        session.execute(
            sa.select(sa.func.min(LINKS.c[t.deadline])).where(LINKS.c.state == t.source)
        ).scalar()
        for t in timers()
    ]
    found = [UTCDateTime().process_result_value(c, session.bind.dialect) for c in candidates if c]
    return min(found) if found else None
