"""What `shoplink prune` removes of webhooks (plugged into workflows/retention.py).

Deliveries that finished (delivered or failed) before the cutoff go, with their attempts.
The outbox keeps every event a webhook may still send: those after the position of an
enabled endpoint (not fanned out yet) and those of deliveries that are kept (a pending
one reads its event when sent; a failed one, when retried by hand).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shoplink.workflows.types import UTCDateTime

FINISHED = ("delivered", "failed")


def _finished_before(cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(WebhookDelivery.status.in_(FINISHED),
                   WebhookDelivery.finished_at < sa.literal(cutoff, UTCDateTime()))


def finished_attempts(_session: Session, cutoff: datetime) -> sa.Select[Any]:
    finished = sa.select(WebhookDelivery.id).where(_finished_before(cutoff))
    return (sa.select(WebhookAttempt.id).where(WebhookAttempt.delivery_id.in_(finished))
            .order_by(WebhookAttempt.id))


def finished_deliveries(_session: Session, cutoff: datetime) -> sa.Select[Any]:
    return (sa.select(WebhookDelivery.id).where(_finished_before(cutoff))
            .order_by(WebhookDelivery.id))


def webhooks_passed(session: Session) -> int | None:
    """The highest outbox id no webhook needs any more; None: webhooks need no event."""
    position = session.execute(
        sa.select(sa.func.min(WebhookEndpoint.position)).where(WebhookEndpoint.enabled)
    ).scalar()
    kept = session.execute(sa.select(sa.func.min(WebhookDelivery.event_id))).scalar()
    candidates = [value for value in (position, kept - 1 if kept is not None else None)
                  if value is not None]
    return min(candidates) if candidates else None
