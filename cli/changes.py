"""`shoplink audit` (who changed which shop or account, and how) and `shoplink prune`."""

from __future__ import annotations

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, table, when

AUDIT_COLUMNS = ("at", "subject", "name", "action", "actor", "changes")


@click.command()
@click.option("--shop", "shop_ref", metavar="SHOP", help="Only this shop's changes.")
@click.option("--account", "username", metavar="ACCOUNT", help="Only this account's changes.")
@click.option("--limit", default=50, show_default=True, metavar="N",
              type=click.IntRange(1, 10_000))
@click.pass_obj
def audit(app: App, shop_ref: str | None, username: str | None, limit: int) -> None:
    """Changes of shops and accounts, newest first: who, when, each field from and to."""
    from shoplink.workflows.audit import list_entries

    rows = list_entries(app.uow(), shop_ref=shop_ref, username=username, limit=limit)
    emit(app, rows, lambda r: table([{**row, "changes": _changes(row["changes"])} for row in r],
                                    AUDIT_COLUMNS, "no changes"))


def _changes(changes: dict) -> str:
    return "; ".join(f"{field} {_value(c['from'])} -> {_value(c['to'])}"
                     for field, c in sorted(changes.items()))


def _value(value: object) -> str:
    return "-" if value is None else when(value) if isinstance(value, str) else str(value)


@click.command()
@click.option("--older-than", required=True, metavar="DURATION",
              help="Remove what is older than this: 30m, 12h, 90d.")
@click.option("--dry-run", is_flag=True, help="Count what would go; remove nothing.")
@click.pass_obj
def prune(app: App, older_than: str, dry_run: bool) -> None:
    """Remove outbox events every reader has passed, and idempotency records, older than
    DURATION; never history, links or the audit log."""
    from shoplink.workflows.retention import prune as remove

    result = remove(app.uow, older_than, app.now(), dry_run=dry_run)

    def human(r: dict) -> str:
        verb = "would remove" if r["dry_run"] else "removed"
        counts = ", ".join(f"{n} {what}" for what, n in r["removed"].items())
        return f"{verb} {counts} (older than {when(r['older_than'])})"

    emit(app, result, human)
