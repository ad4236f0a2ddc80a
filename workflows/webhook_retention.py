"""What `shoplink prune` may remove of webhooks: finished deliveries, and outbox events no
endpoint still needs (a pending delivery reads its event's row when it is sent)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from shoplink.workflows.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shoplink.workflows.uow import UnitOfWork

FINISHED = ("delivered", "failed")


def _finished_before(before: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(WebhookDelivery.status.in_(FINISHED), WebhookDelivery.finished_at < before)


def prune_deliveries(uow: UnitOfWork, before: datetime, dry_run: bool = False) -> int:
    """Remove deliveries that finished before `before`, with their attempts; how many."""
    doomed = sa.select(WebhookDelivery.id).where(_finished_before(before))
    with uow:
        count = uow.session.execute(
            sa.select(sa.func.count()).select_from(doomed.subquery())).scalar() or 0
        if not dry_run and count:
            uow.session.execute(sa.delete(WebhookAttempt)
                                .where(WebhookAttempt.delivery_id.in_(doomed)))
            uow.session.execute(sa.delete(WebhookDelivery).where(_finished_before(before)))
            uow.commit()
    return int(count)


def lowest_needed_event_id(uow: UnitOfWork, before: datetime) -> int | None:
    """The lowest outbox id webhooks still need once deliveries finished before `before` are
    pruned: events below it may go. None: webhooks need no event (no endpoint, no delivery)."""
    with uow:
        after_position = uow.session.execute(
            sa.select(sa.func.min(WebhookEndpoint.position) + 1)
            .where(WebhookEndpoint.enabled)).scalar()
        kept = uow.session.execute(
            sa.select(sa.func.min(WebhookDelivery.event_id))
            .where(sa.not_(_finished_before(before)))).scalar()
    candidates = [value for value in (after_position, kept) if value is not None]
    return min(candidates) if candidates else None
