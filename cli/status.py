"""`shoplink status`: a report for operators, and a health check by its exit code."""

from __future__ import annotations

from typing import Any

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, fields

HEALTHY, UNREACHABLE, BACKLOG_TOO_OLD, SCHEMA_NOT_CURRENT, NO_DAEMON = 0, 5, 6, 7, 8


@click.command()
@click.option("--max-backlog-age", type=click.FloatRange(min=0), default=120.0,
              show_default=True, metavar="SECONDS",
              help="Unhealthy (exit 6) when an overdue transition is older than this.")
@click.option("--require-daemon", is_flag=True,
              help="Unhealthy (exit 8) unless a daemon has beaten in the last 30 seconds.")
@click.pass_context
def status(ctx: click.Context, max_backlog_age: float, require_daemon: bool) -> None:
    """Database, schema, links per state, backlog, next deadline, daemons.

    Exit codes: 0 healthy, 5 database unreachable, 6 backlog older than
    --max-backlog-age, 7 schema not current, 8 no running daemon (--require-daemon).
    """
    app: App = ctx.obj
    document, code = _check(app, max_backlog_age, require_daemon)
    emit(app, document, _human)
    ctx.exit(code)


def _check(app: App, max_age: float, require_daemon: bool) -> tuple[dict[str, Any], int]:
    from shoplink.workflows.db import redact
    from shoplink.workflows.status import probe

    document: dict[str, Any] = {"database": redact(app.url()), "healthy": True, "problems": []}
    found = probe(app.url(), app.now())
    document.update(found)
    codes = []
    if not found["reachable"]:
        codes.append((UNREACHABLE, f"database unreachable: {found['reason']}"))
    elif not found["schema"]["current"]:
        schema = found["schema"]
        codes.append((SCHEMA_NOT_CURRENT, f"schema at {schema['revision'] or 'no revision'}, "
                                          f"expected {schema['expected']}"))
    else:
        age = found["backlog"]["oldest_age_seconds"]
        if found["backlog"]["total"] and age > max_age:
            codes.append((BACKLOG_TOO_OLD, f"backlog {age:.0f}s old, more than {max_age:g}s"))
        if require_daemon and not any(d["state"] == "running" for d in found["daemons"]):
            codes.append((NO_DAEMON, "no daemon running"))
    document["healthy"] = not codes
    document["problems"] = [message for _, message in codes]
    return document, codes[0][0] if codes else HEALTHY


def _human(document: dict[str, Any]) -> str:
    problems = "; ".join(document["problems"])
    view: dict[str, Any] = {
        "status": "healthy" if document["healthy"] else f"UNHEALTHY: {problems}",
        "database": document["database"] + ("" if document["reachable"] else " (unreachable)"),
    }
    if "schema" in document:
        schema = document["schema"]
        verdict = "current" if schema["current"] else f"expected {schema['expected']}"
        view["schema"] = f"{schema['revision'] or 'none'} ({verdict})"
    if "links" in document:
        view["links"] = _pairs(document["links"])
        view["backlog"] = _backlog(document["backlog"])
        view["next deadline"] = (
            f"{document['next_deadline']} (in {document['next_deadline_in_seconds']:g}s)"
            if document["next_deadline"] else None)
        view["daemons"] = "; ".join(
            f"{d['host']} pid {d['pid']} {d['state']}, last beat "
            f"{d['last_beat_age_seconds']:g}s ago" for d in document["daemons"]
        ) or "none seen in the last 10 minutes"
    return fields(view)


def _pairs(counts: dict[str, int]) -> str:
    return " ".join(f"{key}={value}" for key, value in counts.items())


def _backlog(backlog: dict[str, Any]) -> str:
    if not backlog["total"]:
        return "none"
    return (f"{backlog['total']} overdue ({_pairs(backlog['counts'])}), oldest "
            f"{backlog['oldest_age_seconds']:g}s late")
