"""Webhook endpoints and their deliveries, as an operator manages them (SPEC section 9).

The secret is shown once, by `add_endpoint`; every other view leaves it out.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from shoplink.workflows.clock import iso
from shoplink.workflows.errors import BadInput, NotFound, Refused
from shoplink.workflows.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shoplink.workflows.outbox import OUTBOX_TYPES
from shoplink.workflows.uow import UnitOfWork

# Transitions' types, and the shop and account events that `outbox.publish` writes.
OTHER_TYPES = ("shop.renamed", "account.business_upgraded")
EVENT_TYPES = tuple(sorted({*OUTBOX_TYPES.values(), *OTHER_TYPES}))
PING = "webhook.ping"
URL_LIMIT = 2048
DELIVERY_STATUSES = ("pending", "delivered", "failed")
ANSWER_SHOWN = 60  # characters of an answer quoted when a delivery was not taken


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials, or BadInput naming the fault."""
    shown = url if len(url) <= 200 else url[:200] + "..."
    if len(url) > URL_LIMIT or any(c.isspace() or ord(c) < 32 for c in url):
        raise BadInput(f"not a usable URL: {shown!r}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise BadInput(f"not a usable URL: {shown!r}") from None
    if parts.scheme not in ("http", "https"):
        raise BadInput(f"a webhook URL must be http or https, not {parts.scheme or 'none'!r}")
    if parts.username is not None or parts.password is not None:
        raise BadInput("a webhook URL must not carry credentials (user:password@)")
    if not parts.hostname:
        raise BadInput(f"a webhook URL needs a host: {shown!r}")
    return url


def check_events(events: list[str]) -> list[str] | None:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise BadInput(f"unknown event type {unknown[0]!r}: choose from {', '.join(EVENT_TYPES)}")
    return sorted(set(events)) or None


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def endpoint_view(row: WebhookEndpoint) -> dict[str, Any]:
    return {"id": row.id, "url": row.url, "events": row.events or list(EVENT_TYPES),
            "enabled": row.enabled, "created_at": iso(row.created_at),
            "disabled_reason": row.disabled_reason}


def add_endpoint(uow: UnitOfWork, url: str, events: list[str], now: datetime) -> dict[str, Any]:
    """Register an endpoint for events from now on; the answer carries the secret, once."""
    check_url(url)
    chosen = check_events(events)
    with uow:
        position = uow.session.execute(sa.select(sa.func.max(OutboxEvent.id))).scalar() or 0
        row = WebhookEndpoint(url=url, events=chosen, secret=new_secret(), enabled=True,
                              position=position, created_at=now)
        uow.session.add(row)
        uow.session.flush()
        view = endpoint_view(row) | {"secret": row.secret}
        uow.commit()
    return view


def list_endpoints(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id))
        return [endpoint_view(row) for row in rows.scalars()]


def _endpoint(uow: UnitOfWork, endpoint_id: int) -> WebhookEndpoint:
    row = uow.session.get(WebhookEndpoint, endpoint_id)
    if row is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return row


def remove_endpoint(uow: UnitOfWork, endpoint_id: int) -> dict[str, Any]:
    """Forget an endpoint, with its deliveries and their attempts."""
    with uow:
        row = _endpoint(uow, endpoint_id)
        view = endpoint_view(row)
        uow.session.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(
            sa.select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id))))
        uow.session.execute(sa.delete(WebhookDelivery)
                            .where(WebhookDelivery.endpoint_id == endpoint_id))
        uow.session.delete(row)
        uow.commit()
    return view


def enable_endpoint(uow: UnitOfWork, endpoint_id: int) -> dict[str, Any]:
    """Enable an endpoint again (410 Gone disabled it), keeping its secret and deliveries.

    Like a new endpoint, it gets the events committed from now on: those committed while it
    was disabled were never fanned out to it (and `prune` may have removed them). Its pending
    deliveries go out when due; failed ones wait for `webhook retry`. Enabled already: no-op.
    """
    with uow:
        row = uow.session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no webhook endpoint {endpoint_id}")
        counts = dict(uow.session.execute(
            sa.select(WebhookDelivery.status, sa.func.count())
            .where(WebhookDelivery.endpoint_id == endpoint_id,
                   WebhookDelivery.status.in_(("pending", "failed")))
            .group_by(WebhookDelivery.status)).all())
        changed, reason = not row.enabled, row.disabled_reason
        if changed:
            newest = uow.session.execute(sa.select(sa.func.max(OutboxEvent.id))).scalar() or 0
            row.enabled, row.disabled_at, row.disabled_reason = True, None, None
            row.position = max(row.position, newest)
            uow.session.flush()
        view = endpoint_view(row) | {
            "changed": changed, "disabled_reason_before": reason if changed else None,
            "pending_deliveries": counts.get("pending", 0),
            "failed_deliveries": counts.get("failed", 0)}
        uow.commit()
    return view


def queue_ping(uow: UnitOfWork, endpoint_id: int, now: datetime) -> int:
    """A ping delivery for the endpoint, due now; one attempt, never retried."""
    with uow:
        row = _endpoint(uow, endpoint_id)
        if not row.enabled:
            raise Refused.one("endpoint_disabled",
                              f"webhook endpoint {endpoint_id} is disabled ({row.disabled_reason})")
        delivery = WebhookDelivery(endpoint_id=endpoint_id, event_id=None, type=PING,
                                   status="pending", attempts=0, next_attempt_at=now,
                                   created_at=now)
        uow.session.add(delivery)
        uow.session.flush()
        uow.commit()
        return delivery.id


def delivery_view(row: WebhookDelivery) -> dict[str, Any]:
    return {"id": row.id, "endpoint_id": row.endpoint_id, "event_id": row.event_id,
            "type": row.type, "status": row.status, "attempts": row.attempts,
            "last_status": row.last_status, "last_error": row.last_error,
            "next_attempt_at": iso(row.next_attempt_at) if row.status == "pending" else None,
            "created_at": iso(row.created_at), "finished_at": iso(row.finished_at)}


def list_deliveries(uow: UnitOfWork, endpoint_id: int | None = None, failed: bool = False,
                    limit: int = 100) -> list[dict[str, Any]]:
    """Deliveries, newest first; only one endpoint's, or only failed ones, when asked."""
    query = sa.select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    with uow:
        if endpoint_id is not None:
            _endpoint(uow, endpoint_id)
            query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
        if failed:
            query = query.where(WebhookDelivery.status == "failed")
        return [delivery_view(row) for row in uow.session.execute(query).scalars()]


def show_delivery(uow: UnitOfWork, delivery_id: int) -> dict[str, Any]:
    """One delivery with every attempt, oldest first."""
    with uow:
        row = uow.session.get(WebhookDelivery, delivery_id)
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}")
        attempts = uow.session.execute(
            sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
            .order_by(WebhookAttempt.id)).scalars()
        return delivery_view(row) | {"attempts_made": [
            {"at": iso(a.attempted_at), "status": a.status, "error": a.error,
             "latency_ms": round(a.latency_ms, 1), "response": a.response} for a in attempts]}


def require_delivered(view: dict[str, Any]) -> None:
    """Refused (exit 4) naming what the endpoint did, unless the delivery was delivered.

    `webhook test` answers whether the endpoint works; a 500, a timeout or a refused
    connection means it does not, and a script must see that in the exit code.
    """
    if view["status"] == "delivered":
        return
    what = "ping" if view["event_id"] is None else "delivery"
    endpoint = view["endpoint_id"]
    failed = f"{what} {view['id']} to endpoint {endpoint} was not delivered"
    last = view["attempts_made"][-1] if view["attempts_made"] else None
    if last is None:
        reason = ("it was not sent from here: its endpoint is disabled, or another shoplink "
                  f"process is sending it (`shoplink webhook deliveries --endpoint {endpoint}`)")
    elif last["status"] is None:
        reason = last["error"]
    else:
        answer = last["response"] or ""
        shown = repr(answer[:ANSWER_SHOWN]) + ("..." if len(answer) > ANSWER_SHOWN else "")
        reason = f"HTTP {last['status']}, " + (f"answered {shown}" if answer
                                                else "with an empty answer")
        if last["status"] == 410:
            reason += (f"; the endpoint is disabled now (`shoplink webhook enable {endpoint}` "
                       "once it works again)")
    raise Refused.one("not_delivered", f"{failed}: {reason}")


def retry_delivery(uow: UnitOfWork, delivery_id: int, now: datetime) -> int:
    """Make a failed delivery due now again: one more attempt, by hand."""
    with uow:
        row = uow.session.get(WebhookDelivery, delivery_id)
        if row is None:
            raise NotFound(f"no webhook delivery {delivery_id}")
        if row.status != "failed":
            raise Refused.one("delivery_not_failed", f"webhook delivery {delivery_id} is "
                              f"{row.status}: only a failed delivery is retried by hand")
        endpoint = _endpoint(uow, row.endpoint_id)
        if not endpoint.enabled:
            raise Refused.one("endpoint_disabled", f"webhook endpoint {endpoint.id} is disabled "
                              f"({endpoint.disabled_reason})")
        row.status, row.next_attempt_at, row.finished_at = "pending", now, None
        uow.commit()
        return row.id
