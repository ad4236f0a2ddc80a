"""`shoplink jobs run-due` and `shoplink daemon`: the timers, by hand or on time."""

from __future__ import annotations

import click

from cli.app import App
from cli.output import emit, fields

SECONDS = click.FloatRange(min=0, min_open=True)
BATCH = click.option("--batch-size", type=click.IntRange(min=1), default=500, show_default=True,
                     help="Rows of each event per transaction.")


@click.group()
def jobs() -> None:
    """Timer transitions, run once (see also `shoplink daemon`)."""


@jobs.command("run-due")
@BATCH
@click.pass_obj
def run_due(app: App, batch_size: int) -> None:
    """Apply every overdue expire and unlock now, then exit (for cron, or by hand)."""
    from jobs.sweep import sweep

    swept = sweep(app.engine(), app.now(), batch=batch_size)
    emit(app, swept.counts, fields)


@click.command()
@click.option("--interval", type=SECONDS, default=60.0, show_default=True, metavar="SECONDS",
              help="Safety-net sweep period.")
@click.option("--poll", type=SECONDS, default=1.0, show_default=True, metavar="SECONDS",
              help="How often to look for a nearer deadline (two index lookups).")
@BATCH
@click.pass_obj
def daemon(app: App, interval: float, poll: float, batch_size: int) -> None:
    """Run the scheduler: links move on time, until SIGTERM or SIGINT.

    Logs go to stderr (one JSON object a line with --json). On SQLite, one daemon at a time.
    """
    from jobs.daemon import Daemon
    from jobs.logs import configure
    from jobs.single import hold_single_daemon
    from workflows.db import redact

    engine = app.engine()
    lock = hold_single_daemon(engine)
    configure(as_json=app.json, debug=app.debug)
    try:
        Daemon(engine, interval=interval, poll=poll, batch=batch_size, clock=app.now,
               where=redact(app.url())).run()
    finally:
        if lock is not None:
            lock.close()
