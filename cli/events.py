"""`shoplink events`: the outbox of transitions, in id order, resumable, optionally followed."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Any

import click

from shoplink.cli.app import App

PAGE = 500


def _line(event: dict[str, Any], as_json: bool) -> str:
    if as_json:
        return json.dumps(event, ensure_ascii=False)
    if event["link_id"] is None:  # an event of a shop or an account, not of a link
        who = f"  @{event['account']}" if event["account"] else ""
        details = ", ".join(f"{k}={v}" for k, v in (event["details"] or {}).items())
        return (f"{event['id']}  {event['at']}  {event['type']:<24}  shop {event['shop_id']}"
                f"{who}  {details}  by {event['actor']}")
    skus = (event.get("details") or {}).get("skus")
    change = (f"{', '.join(skus)} (link {event['to_state']})" if skus is not None else
              f"{event['from_state'] or '-'} -> {event['to_state']}")
    return (f"{event['id']}  {event['at']}  {event['type']:<24}  link {event['link_id']}  "
            f"shop {event['shop_id']}  @{event['account']}  {change}  by {event['actor']}")


def _stop_on_signals() -> threading.Event:
    """SIGTERM and SIGINT end --follow between pages, with exit code 0."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
    return stop


@click.command()
@click.option("--after", type=click.IntRange(min=0, max=2**63 - 1), metavar="ID",
              help="Start after this event id (default 0, or the consumer's saved position).")
@click.option("--consumer", metavar="NAME",
              help="Resume from NAME's saved position and save it after each printed page.")
@click.option("--follow", "-f", is_flag=True, help="Keep waiting for new events until stopped.")
@click.option("--limit", type=click.IntRange(min=1, max=2**31 - 1), metavar="N",
              help="Stop after N events.")
@click.option("--poll", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              metavar="SECONDS", help="With --follow: how often to look for new events.")
@click.pass_obj
def events(app: App, after: int | None, consumer: str | None, follow: bool, limit: int | None,
           poll: float) -> None:
    """Print link, shop and account events from the outbox, oldest first (--json: one JSON
    object per line)."""
    from shoplink.workflows.outbox import (
        check_consumer,
        consumer_position,
        read_events,
        save_position,
    )

    if consumer is not None:
        check_consumer(consumer)
    position = after if after is not None else (
        consumer_position(app.uow(read=True), consumer) if consumer else 0)
    stop = _stop_on_signals() if follow else threading.Event()
    printed = 0
    while not stop.is_set():
        size = min(PAGE, limit - printed) if limit else PAGE
        page = read_events(app.uow(read=True), position, size)
        if page:
            try:
                sys.stdout.write("".join(_line(e, app.json) + "\n" for e in page))
                sys.stdout.flush()
            except BrokenPipeError:
                sys.stderr.close()  # the reader went away: nothing more to say
                return
            position, printed = page[-1]["id"], printed + len(page)
            if consumer:
                save_position(app.uow(), consumer, position, app.now())
        if limit and printed >= limit:
            return
        if len(page) < PAGE and not follow:
            return
        if len(page) < PAGE:
            stop.wait(poll)
