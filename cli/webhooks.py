"""`shoplink webhook`: endpoints that receive outbox events, and their deliveries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, fields, table
from shoplink.cli.webhook_output import enabled_text, joined, sentence

if TYPE_CHECKING:
    from shoplink.jobs.deliveries import Deliverer

ENDPOINT_COLUMNS = ("id", "url", "events", "enabled", "created_at", "disabled_reason")
DELIVERY_COLUMNS = ("id", "endpoint_id", "event_id", "type", "status", "attempts", "last_status",
                    "last_error", "next_attempt_at")
TIMEOUT = click.option("--timeout", type=click.FloatRange(min=0.01, max=300), default=10.0,
                       show_default=True, envvar="SHOPLINK_WEBHOOK_TIMEOUT", metavar="SECONDS",
                       help="Give up on a request after this long (env SHOPLINK_WEBHOOK_TIMEOUT).")
ID = click.IntRange(min=1, max=2**31 - 1)


@click.group()
def webhook() -> None:
    """Webhook endpoints: outbox events pushed to the apps, signed and retried."""


@webhook.command()
@click.argument("url")
@click.option("--event", "events", multiple=True, metavar="TYPE",
              help="An event type to send (repeatable; default: every type).")
@click.pass_obj
def add(app: App, url: str, events: tuple[str, ...]) -> None:
    """Register an endpoint; its signing secret is printed now and never again."""
    from shoplink.workflows.webhooks import add_endpoint

    view = add_endpoint(app.uow(), url, list(events), app.now())
    emit(app, {k: view[k] for k in ("id", "url", "events", "enabled", "secret")},
         lambda v: f"webhook endpoint {v['id']} added: {v['url']}\nevents: "
                   f"{', '.join(v['events'])}\nsigning secret (shown once, keep it secret):\n"
                   f"{v['secret']}")


@webhook.command("list")
@click.pass_obj
def list_(app: App) -> None:
    """Endpoints, their event types and whether they are enabled; never the secrets."""
    from shoplink.workflows.webhooks import list_endpoints

    rows = list_endpoints(app.uow())
    emit(app, rows, lambda r: table([joined(v) for v in r], ENDPOINT_COLUMNS, "no endpoints"))


@webhook.command()
@click.argument("endpoint_id", metavar="ID", type=ID)
@click.pass_obj
def remove(app: App, endpoint_id: int) -> None:
    """Remove an endpoint, with its deliveries."""
    from shoplink.workflows.webhooks import remove_endpoint

    view = remove_endpoint(app.uow(), endpoint_id)
    emit(app, view, f"webhook endpoint {view['id']} removed: {view['url']}")


@webhook.command()
@click.argument("endpoint_id", metavar="ID", type=ID)
@click.pass_obj
def enable(app: App, endpoint_id: int) -> None:
    """Enable an endpoint again (after 410 Gone): events from now on; failed ones by retry."""
    from shoplink.workflows.webhooks import enable_endpoint

    view = enable_endpoint(app.uow(), endpoint_id)
    emit(app, view, lambda v: enabled_text(v) + "\n" + table([joined(v)], ENDPOINT_COLUMNS))


@webhook.command()
@click.argument("endpoint_id", metavar="ID", type=ID)
@TIMEOUT
@click.pass_obj
def test(app: App, endpoint_id: int, timeout: float) -> None:
    """Send the endpoint a signed ping now and show what it answered (exit 4 unless a 2xx)."""
    from shoplink.workflows.webhooks import queue_ping, require_delivered

    delivery_id = queue_ping(app.uow(), endpoint_id, app.now())
    require_delivered(_deliver_one(app, delivery_id, timeout, "ping"))


@webhook.command()
@click.argument("delivery_id", metavar="DELIVERY", type=ID)
@TIMEOUT
@click.pass_obj
def retry(app: App, delivery_id: int, timeout: float) -> None:
    """Attempt a failed delivery again, now (exit 4 unless a 2xx, as `test`)."""
    from shoplink.workflows.webhooks import require_delivered, retry_delivery

    retried = retry_delivery(app.uow(), delivery_id, app.now())
    require_delivered(_deliver_one(app, retried, timeout, "delivery"))


@webhook.command()
@click.option("--endpoint", "endpoint_id", type=ID, metavar="ID", help="Only this endpoint's.")
@click.option("--failed", is_flag=True, help="Only deliveries that gave up.")
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=100, show_default=True,
              metavar="N", help="The newest N.")
@click.pass_obj
def deliveries(app: App, endpoint_id: int | None, failed: bool, limit: int) -> None:
    """Deliveries, newest first: status, attempts, last answer, next attempt."""
    from shoplink.workflows.webhooks import list_deliveries

    rows = list_deliveries(app.uow(), endpoint_id, failed, limit)
    emit(app, rows, lambda r: table(r, DELIVERY_COLUMNS, "no deliveries"))


@webhook.command()
@TIMEOUT
@click.option("--concurrency", type=click.IntRange(1, 256), default=32, show_default=True,
              metavar="N", help="Requests in flight at most.")
@click.pass_obj
def deliver(app: App, timeout: float, concurrency: int) -> None:
    """Send every delivery due now, once, then exit (for cron; the daemon does this itself)."""
    deliverer = _deliverer(app, timeout, concurrency=concurrency)
    try:
        counts = deliverer.drain()
    finally:
        deliverer.close()
    emit(app, {s: counts.get(s, 0) for s in ("delivered", "pending", "failed")}, fields)


def _deliverer(app: App, timeout: float, **options: Any) -> Deliverer:
    from shoplink.jobs.deliveries import Deliverer

    return Deliverer(app.engine(), clock=app.now, timeout=timeout, **options)


def _deliver_one(app: App, delivery_id: int, timeout: float, what: str) -> dict[str, Any]:
    """Send one delivery now, print how it went, and return it with its attempts."""
    from shoplink.jobs.deliveries import send_now
    from shoplink.workflows.webhooks import show_delivery

    send_now(app.engine(), delivery_id, clock=app.now, timeout=timeout)
    view = show_delivery(app.uow(), delivery_id)
    emit(app, view, lambda v: sentence(v, what))
    return view
