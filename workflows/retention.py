"""Retention: `shoplink prune` removes what no one needs any more, in short batches.

A pruner names what it removes and the ids of rows that may go (oldest first, before a
cutoff); `prune` deletes them batch by batch, each batch its own short transaction, so a
large prune never holds the database for long. History, links and the audit log are
never pruned. Other features plug in by appending to PRUNERS (a table whose rows point at
outbox events goes before the outbox pruner) and to OUTBOX_READERS (how far a reader of
the outbox has got: no event it has not passed is ever removed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import validate
from shoplink.workflows.clock import iso
from shoplink.workflows.models import (
    IdempotencyRecord,
    OutboxConsumer,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
)
from shoplink.workflows.types import UTCDateTime
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.webhook_retention import (
    finished_attempts,
    finished_deliveries,
    webhooks_passed,
)

BATCH = 1000
# Each says the highest outbox id one kind of reader has passed, or None if it has none.
OutboxReader = Callable[[Session], int | None]


def registered_consumers(session: Session) -> int | None:
    """The slowest `shoplink events` consumer's position, or None with no consumer at all."""
    return session.execute(sa.select(sa.func.min(OutboxConsumer.position))).scalar()


OUTBOX_READERS: list[OutboxReader] = [registered_consumers, webhooks_passed]


def outbox_horizon(session: Session) -> int:
    """The highest outbox id every reader has passed; with no reader, none (0): an event
    nobody has read is kept, so a reader registered later still finds it."""
    positions = [p for p in (reader(session) for reader in OUTBOX_READERS) if p is not None]
    return min(positions) if positions else 0


@dataclass(frozen=True)
class Pruner:
    """One kind of row `prune` removes: `doomed` selects the ids that may go, oldest first."""

    name: str
    table: sa.Table
    doomed: Callable[[Session, datetime], sa.Select[Any]]


def _before(cutoff: datetime) -> sa.BindParameter[datetime]:
    return sa.literal(cutoff, UTCDateTime())


def _outbox_events(session: Session, cutoff: datetime) -> sa.Select[Any]:
    return (sa.select(OutboxEvent.id)
            .where(OutboxEvent.id <= outbox_horizon(session),
                   OutboxEvent.recorded_at < _before(cutoff))
            .order_by(OutboxEvent.id))


def _idempotency_records(session: Session, cutoff: datetime) -> sa.Select[Any]:
    return (sa.select(IdempotencyRecord.id)
            .where(IdempotencyRecord.created_at < _before(cutoff))
            .order_by(IdempotencyRecord.id))


PRUNERS: list[Pruner] = [
    Pruner("webhook attempts", cast(sa.Table, WebhookAttempt.__table__), finished_attempts),
    Pruner("webhook deliveries", cast(sa.Table, WebhookDelivery.__table__), finished_deliveries),
    Pruner("outbox events", cast(sa.Table, OutboxEvent.__table__), _outbox_events),
    Pruner("idempotency records", cast(sa.Table, IdempotencyRecord.__table__),
           _idempotency_records),
]


def prune(make_uow: Callable[[], UnitOfWork], older_than: str, now: datetime, *,
          dry_run: bool = False, batch: int = BATCH) -> dict[str, Any]:
    """Remove (or with `dry_run`, count) every pruner's rows older than `older_than`."""
    cutoff = now - validate.duration(older_than, "--older-than")
    removed: dict[str, int] = {}
    for pruner in PRUNERS:
        removed[pruner.name] = (_count(make_uow(), pruner, cutoff) if dry_run
                                else _delete(make_uow, pruner, cutoff, batch))
    return {"older_than": iso(cutoff), "dry_run": dry_run, "removed": removed}


def _count(uow: UnitOfWork, pruner: Pruner, cutoff: datetime) -> int:
    with uow:
        doomed = pruner.doomed(uow.session, cutoff).order_by(None).subquery()
        return uow.session.execute(sa.select(sa.func.count()).select_from(doomed)).scalar_one()


def _delete(make_uow: Callable[[], UnitOfWork], pruner: Pruner, cutoff: datetime,
            batch: int) -> int:
    total = 0
    while True:
        with make_uow() as uow:
            ids = list(uow.session.execute(pruner.doomed(uow.session, cutoff).limit(batch))
                       .scalars())
            if ids:
                uow.session.execute(sa.delete(pruner.table).where(pruner.table.c.id.in_(ids)))
                uow.commit()
        total += len(ids)
        if len(ids) < batch:
            return total
