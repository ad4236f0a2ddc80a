"""Reading the event outbox in id order, remembering where a named reader got to, and
publishing the events of shops and accounts (those of links come from their history).

The migration's trigger writes one outbox row per history row, in the transition's
transaction. Ids become visible in increasing order (PostgreSQL hands them out at commit
under a lock; SQLite has one writer), so "everything after my last id" is never missing
a row that commits later: a reader stores its last id and resumes from it.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows.clock import iso
from shoplink.workflows.driver import driven, pipelined
from shoplink.workflows.errors import BadInput
from shoplink.workflows.models import Account, OutboxConsumer, OutboxEvent
from shoplink.workflows.uow import UnitOfWork

OUTBOX = OutboxEvent.__table__
CONSUMERS = OutboxConsumer.__table__
ACCOUNTS = Account.__table__
CONSUMER_NAME_LIMIT = 100

# What the app and Seller Center see, named by the state a transition reaches. Migration
# 0002's trigger holds a frozen copy; a test keeps the two equal.
OUTBOX_TYPES = {
    "searched": "link.searched",
    "verified": "link.verified",
    "rejected": "link.rejected",
    "invited": "invitation.sent",
    "declined": "invitation.declined",
    "expired": "invitation.expired",
    "cancelled": "link.cancelled",
    "linked": "link.linked",
    "unlinkable": "link.unlinkable",
    "unlinked": "link.unlinked",
}
# The pg_advisory_xact_lock key held from an outbox id's assignment until its commit.
OUTBOX_LOCK = 0x5_0B0C_0001
# PostgreSQL, before an event of a shop or an account: the transaction's history rows
# reach the outbox first (the deferred trigger, fired now), then the lock is taken.
_FIRE_HISTORY_TRIGGER = sa.text("SET CONSTRAINTS link_events_to_outbox IMMEDIATE")
_OUTBOX_LOCK = sa.text(f"SELECT pg_advisory_xact_lock({OUTBOX_LOCK})")
# A sweep that wrote its own outbox rows says so, so the trigger of 0005 skips them.
OUTBOX_WRITTEN_SETTING = "shoplink.outbox_written"


def outbox_event_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "link_id": row.link_id,
        "shop_id": row.shop_id,
        "account": row.username,
        "event": row.event,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "actor": row.actor,
        "at": iso(row.at),
        "recorded_at": iso(row.recorded_at),
        "details": row.details,
    }


def read_events(uow: UnitOfWork, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` outbox events with an id above `after`, oldest first."""
    query = (
        sa.select(OutboxEvent.id, OutboxEvent.type, OutboxEvent.link_id, OutboxEvent.shop_id,
                  ACCOUNTS.c.username, OutboxEvent.event, OutboxEvent.from_state,
                  OutboxEvent.to_state, OutboxEvent.actor, OutboxEvent.at,
                  OutboxEvent.recorded_at, OutboxEvent.details)
        .outerjoin(ACCOUNTS, ACCOUNTS.c.id == OutboxEvent.account_id)
        .where(OutboxEvent.id > after)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    with uow:
        return [outbox_event_view(row) for row in uow.session.execute(query)]


def check_consumer(name: str) -> str:
    if not name.strip() or len(name) > CONSUMER_NAME_LIMIT:
        raise BadInput(f"a consumer name is 1 to {CONSUMER_NAME_LIMIT} characters, not blank")
    return name


def consumer_position(uow: UnitOfWork, name: str) -> int:
    """The last id handed to reader `name` (0 for a reader never seen)."""
    with uow:
        found = uow.session.get(OutboxConsumer, check_consumer(name))
        return found.position if found else 0


def save_position(uow: UnitOfWork, name: str, position: int, now: datetime) -> None:
    """Remember that reader `name` has been handed every event up to `position`."""
    with uow:
        found = uow.session.get(OutboxConsumer, check_consumer(name))
        if found is None:
            uow.session.add(OutboxConsumer(name=name, position=position, updated_at=now))
        else:
            found.position, found.updated_at = position, now
        uow.commit()


def last_event_id(uow: UnitOfWork) -> int:
    with uow:
        return uow.session.execute(sa.select(sa.func.max(OutboxEvent.id))).scalar() or 0


def publish(session: Session, kind: str, event: str, *, actor: str, at: datetime,
            shop_id: int | None = None, account_id: int | None = None,
            details: dict[str, Any] | None = None) -> None:
    """Add an event of a shop or an account to the outbox, in the caller's transaction.

    It comes after the events of the transaction's transitions, on both backends. On
    PostgreSQL the deferred history trigger is fired now, then the row is written under the
    outbox lock held to commit, as the trigger does, so ids become visible in order. Call it
    last before committing: the lock queues other writers.
    """
    session.flush()
    connection = session.connection()
    with pipelined(connection):  # one round trip for the three on PostgreSQL
        if connection.dialect.name == "postgresql":
            driven(_FIRE_HISTORY_TRIGGER).execute(connection, {})
            driven(_OUTBOX_LOCK).execute(connection, {})
        driven(_publish_query()).execute(connection, {
            "type": kind, "event": event, "shop_id": shop_id, "account_id": account_id,
            "actor": actor[:40], "at": at, "recorded_at": at, "details": details})


@functools.cache
def _publish_query() -> sa.Insert:
    return sa.insert(cast(sa.Table, OUTBOX))
