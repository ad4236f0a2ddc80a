"""The delivery queue: outbox events fanned out to endpoints, claimed, and their outcome recorded.

Fan-out: each enabled endpoint remembers the last outbox id it was given (`position`).
One transaction locks the endpoint row (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the
write lock), inserts a delivery per new event of its types and advances the position, so
an event is never skipped and never fanned out twice (a unique key says so too).

Claiming leases a due delivery by moving its `next_attempt_at` past the request timeout
and commits before the request is sent: a daemon killed mid-request leaves the lease to
run out, and the next pass sends the delivery again. Nothing is held open over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows.clock import iso
from shoplink.workflows.lookup import literal_name
from shoplink.workflows.models import (
    Account,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from shoplink.workflows.outbox import outbox_event_view

# Standard Webhooks' schedule: the delay before each attempt after a failed one.
SCHEDULE = (timedelta(0), timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
            timedelta(hours=2), timedelta(hours=5), timedelta(hours=10), timedelta(hours=10))
JITTER = 0.1  # each wait is stretched by up to 10%, so a burst of failures spreads out
FAN_OUT_PAGE = 1000
# Written into the SQL, so SQLite plans the pending-deliveries index once (literal_name).
PENDING = literal_name("pending")
RESPONSE_LIMIT = 1024


def retry_delay(attempts_made: int, rand: float) -> timedelta | None:
    """The wait after `attempts_made` failed attempts, stretched by `rand` in [0, 1); None: stop."""
    if attempts_made >= len(SCHEDULE):
        return None
    return SCHEDULE[attempts_made] * (1 + JITTER * rand)


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def fan_out(session: Session, now: datetime, page: int = FAN_OUT_PAGE) -> tuple[int, bool]:
    """Deliveries for outbox events newer than each endpoint's position: (made, more to do)."""
    endpoints = sa.select(WebhookEndpoint).where(WebhookEndpoint.enabled).order_by(
        WebhookEndpoint.id)
    if _pg(session):
        endpoints = endpoints.with_for_update(skip_locked=True)
    made, more = 0, False
    for endpoint in session.execute(endpoints).scalars().all():
        events = session.execute(
            sa.select(OutboxEvent.id, OutboxEvent.type).where(OutboxEvent.id > endpoint.position)
            .order_by(OutboxEvent.id).limit(page)).all()
        if not events:
            continue
        wanted = set(endpoint.events) if endpoint.events else None
        rows = [{"endpoint_id": endpoint.id, "event_id": event_id, "type": kind,
                 "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
                for event_id, kind in events if wanted is None or kind in wanted]
        if rows:
            session.execute(sa.insert(WebhookDelivery), rows)
        endpoint.position = events[-1].id
        made, more = made + len(rows), more or len(events) == page
    session.flush()
    return made, more


@dataclass(frozen=True)
class Claimed:
    """A leased delivery with everything needed to send it."""

    delivery_id: int
    endpoint_id: int
    url: str
    secret: str
    message_id: str
    body: str

    def __repr__(self) -> str:  # never the secret, whatever prints this
        return f"Claimed(delivery_id={self.delivery_id}, endpoint_id={self.endpoint_id})"


def claim(session: Session, room: Callable[[int], int], now: datetime, lease: timedelta,
          only: Collection[int] | None = None) -> list[Claimed]:
    """Lease up to `room(endpoint)` due deliveries of each enabled endpoint (of `only`)."""
    claimed: list[Claimed] = []
    endpoints = session.execute(
        sa.select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.secret)
        .where(WebhookEndpoint.enabled).order_by(WebhookEndpoint.id)).all()
    for endpoint in endpoints:
        limit = room(endpoint.id)
        if limit <= 0:
            continue
        due = (sa.select(WebhookDelivery.id)
               .where(WebhookDelivery.endpoint_id == endpoint.id,
                      WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
               .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
        if only is not None:
            due = due.where(WebhookDelivery.id.in_(list(only)))
        if _pg(session):
            due = due.with_for_update(skip_locked=True)
        ids = session.execute(due).scalars().all()
        if not ids:
            continue
        session.execute(sa.update(WebhookDelivery).where(WebhookDelivery.id.in_(ids))
                        .values(next_attempt_at=now + lease))
        claimed += [Claimed(row.delivery_id, endpoint.id, endpoint.url, endpoint.secret,
                            *_message(row)) for row in _payload_rows(session, ids)]
    return claimed


def _payload_rows(session: Session, ids: Any) -> list[Any]:
    accounts = Account.__table__
    return list(session.execute(
        sa.select(WebhookDelivery.id.label("delivery_id"), WebhookDelivery.event_id,
                  OutboxEvent.id, WebhookDelivery.type,
                  WebhookDelivery.endpoint_id, WebhookDelivery.created_at,
                  OutboxEvent.link_id, OutboxEvent.shop_id, accounts.c.username,
                  OutboxEvent.event, OutboxEvent.from_state, OutboxEvent.to_state,
                  OutboxEvent.actor, OutboxEvent.at, OutboxEvent.recorded_at,
                  OutboxEvent.details)
        .outerjoin(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .outerjoin(accounts, accounts.c.id == OutboxEvent.account_id)
        .where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)).all())


def _message(row: Any) -> tuple[str, str]:
    """The webhook-id (the event's, so a receiver can deduplicate retries) and the JSON body."""
    if row.event_id is None:
        data: dict[str, Any] = {"endpoint_id": row.endpoint_id, "delivery_id": row.delivery_id}
        message_id, at = f"ping_{row.delivery_id}", row.created_at
    else:
        data = outbox_event_view(row)
        message_id, at = f"evt_{row.event_id}", row.at
    body = {"type": row.type, "timestamp": iso(at), "data": data}
    return message_id, json.dumps(body, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Outcome:
    """What one request got: an HTTP status, or an error (timeout, refused, ...)."""

    delivery_id: int
    attempted_at: datetime
    latency_ms: float
    status: int | None = None
    error: str | None = None
    response: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def record(session: Session, outcomes: list[Outcome], now: datetime,
           rand: Callable[[], float]) -> list[str]:
    """Write the attempts and move their deliveries on; returns each delivery's status.

    Successes, the common case, move on in one UPDATE per status code; each failure is
    scheduled on its own, from its number of attempts.
    """
    if not outcomes:
        return []
    session.execute(sa.insert(WebhookAttempt), [
        {"delivery_id": o.delivery_id, "attempted_at": o.attempted_at, "status": o.status,
         "error": o.error, "latency_ms": o.latency_ms,
         "response": (o.response or "")[:RESPONSE_LIMIT] or None} for o in outcomes])
    by_code: dict[int, list[int]] = {}
    for outcome in outcomes:
        if outcome.succeeded:
            by_code.setdefault(outcome.status or 0, []).append(outcome.delivery_id)
    for code, ids in by_code.items():
        session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == PENDING)
            .values(status="delivered", attempts=WebhookDelivery.attempts + 1,
                    last_status=code, last_error=None, finished_at=now))
    return ["delivered" if o.succeeded else _record_failure(session, o, now, rand)
            for o in outcomes]


def _record_failure(session: Session, outcome: Outcome, now: datetime,
                    rand: Callable[[], float]) -> str:
    delivery = session.get(WebhookDelivery, outcome.delivery_id, with_for_update=_pg(session))
    if delivery is None or delivery.status != "pending":
        return delivery.status if delivery else "removed"
    delivery.attempts += 1
    delivery.last_status, delivery.last_error = outcome.status, outcome.error
    delay = None if delivery.event_id is None else retry_delay(delivery.attempts, rand())
    if outcome.status == 410:
        delivery.status, delivery.finished_at = "failed", now
        session.execute(sa.update(WebhookEndpoint)
                        .where(WebhookEndpoint.id == delivery.endpoint_id)
                        .values(enabled=False, disabled_at=now,
                                disabled_reason=f"410 Gone at {iso(now)}"))
    elif delay is None:
        delivery.status, delivery.finished_at = "failed", now
    else:
        delivery.next_attempt_at = now + delay
    session.flush()
    return delivery.status


def next_due(session: Session) -> datetime | None:
    """When the soonest pending delivery of an enabled endpoint is due (or its lease ends)."""
    return session.execute(
        sa.select(sa.func.min(WebhookDelivery.next_attempt_at))
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.status == PENDING, WebhookEndpoint.enabled)).scalar()


def progress(session: Session, delivery_id: int) -> tuple[int, bool] | None:
    """A delivery's attempts so far and whether its endpoint is enabled (None: it is gone)."""
    row = session.execute(
        sa.select(WebhookDelivery.attempts, WebhookEndpoint.enabled)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.id == delivery_id)).first()
    return None if row is None else (row.attempts, row.enabled)
