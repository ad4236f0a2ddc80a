"""`shoplink jobs run-due` and `shoplink daemon`: the timers, by hand or on time."""

from __future__ import annotations

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, fields

SECONDS = click.FloatRange(min=0, min_open=True)
BATCH = click.option("--batch-size", type=click.IntRange(min=1), default=5_000, show_default=True,
                     metavar="N", help="Rows of each event per transaction.")


@click.group()
def jobs() -> None:
    """Timer transitions, run once (see also `shoplink daemon`)."""


@jobs.command("run-due")
@BATCH
@click.pass_obj
def run_due(app: App, batch_size: int) -> None:
    """Apply every overdue expire and unlock now, then exit (for cron, or by hand)."""
    from shoplink.jobs.sweep import sweep

    swept = sweep(app.engine(), app.now(), batch=batch_size)
    emit(app, swept.counts, fields)


@click.command()
@click.option("--interval", type=SECONDS, default=60.0, show_default=True, metavar="SECONDS",
              help="Safety-net sweep period.")
@click.option("--poll", type=SECONDS, default=1.0, show_default=True, metavar="SECONDS",
              help="How often to look for a nearer deadline (two index lookups).")
@BATCH
@click.option("--metrics-port", type=click.IntRange(0, 65535), metavar="PORT",
              help="Serve Prometheus metrics at http://ADDRESS:PORT/metrics (0: a free port).")
@click.option("--metrics-address", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="Address the metrics endpoint listens on (0.0.0.0: every interface).")
@click.option("--no-webhooks", is_flag=True, help="Do not deliver webhooks from this daemon.")
@click.option("--webhook-timeout", type=click.FloatRange(min=0.01, max=300), default=10.0,
              show_default=True, envvar="SHOPLINK_WEBHOOK_TIMEOUT", metavar="SECONDS",
              help="Give up on a webhook request after this long.")
@click.option("--webhook-concurrency", type=click.IntRange(1, 256), default=32, show_default=True,
              metavar="N", help="Webhook requests in flight at most.")
@click.pass_obj
def daemon(app: App, interval: float, poll: float, batch_size: int, metrics_port: int | None,
           metrics_address: str, no_webhooks: bool, webhook_timeout: float,
           webhook_concurrency: int) -> None:
    """Run the scheduler: links move on time, until SIGTERM or SIGINT.

    Logs go to stderr (one JSON object a line with --json or --log-format json).
    On SQLite, one daemon at a time; on PostgreSQL, as many as you like.
    """
    from shoplink.cli.logging_setup import configure
    from shoplink.jobs.daemon import Daemon
    from shoplink.jobs.instruments import instrumented
    from shoplink.jobs.single import hold_single_daemon
    from shoplink.workflows.db import redact

    engine = app.engine()
    lock = hold_single_daemon(engine)
    configure(app, default_level="info")
    deliverer = None
    if not no_webhooks:
        from shoplink.jobs.deliveries import Deliverer

        deliverer = Deliverer(engine, clock=app.now, timeout=webhook_timeout,
                              concurrency=webhook_concurrency)
    try:
        runner = Daemon(engine, interval=interval, poll=poll, batch=batch_size, clock=app.now,
                        where=redact(app.url()), deliverer=deliverer)
        runner.handle_signals()
        with instrumented(runner, engine, app.now, metrics_port=metrics_port,
                          metrics_address=metrics_address):
            runner.run()
    finally:
        if lock is not None:
            lock.close()
