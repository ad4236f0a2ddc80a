"""The audit log: every change of a shop or an account, who made it, and each field's values.

Entries are written in the change's own transaction, so a refused or failed change
leaves none; like link history they are only ever added, and `prune` keeps them.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import lookup, validate
from shoplink.workflows.clock import iso
from shoplink.workflows.driver import driven
from shoplink.workflows.errors import BadInput
from shoplink.workflows.models import AuditEntry
from shoplink.workflows.uow import UnitOfWork

OPERATOR = "operator"  # who changes things from the command line


def plain(value: Any) -> Any:
    """A value as JSON holds it: times and dates as ISO 8601 text."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def apply(row: Any, wanted: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set each wanted field that differs on `row`; the changes as {field: {from, to}}."""
    changes = {}
    for field, value in wanted.items():
        old = getattr(row, field)
        if old != value:
            changes[field] = {"from": plain(old), "to": plain(value)}
            setattr(row, field, value)
    return changes


def record(session: Session, subject: str, subject_id: int, action: str, actor: str,
           at: datetime, changes: dict[str, dict[str, Any]]) -> None:
    """Add one audit entry, unless nothing changed (an INSERT now, not at the next flush)."""
    if changes:
        driven(_insert_query()).execute(session.connection(), {
            "subject": subject, "subject_id": subject_id, "action": action, "actor": actor,
            "at": at, "changes": changes})


@functools.cache
def _insert_query() -> sa.Insert:
    return sa.insert(cast(sa.Table, AuditEntry.__table__))


def entry_view(row: AuditEntry, names: dict[tuple[str, int], str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso(row.at),
        "subject": row.subject,
        "name": names.get((row.subject, row.subject_id)),
        "action": row.action,
        "actor": row.actor,
        "changes": row.changes,
    }


def list_entries(uow: UnitOfWork, *, shop_ref: str | None = None, username: str | None = None,
                 limit: int = 50) -> list[dict[str, Any]]:
    """Audit entries, newest first, of one shop, one account, or everything."""
    if shop_ref is not None and username is not None:
        raise BadInput("give at most one of --shop SHOP or --account ACCOUNT")
    validate.positive(limit, "--limit")
    with uow:
        query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if shop_ref is not None:
            shop = lookup.shop(uow.session, shop_ref)
            query = query.where(AuditEntry.subject == "shop", AuditEntry.subject_id == shop.id)
        elif username is not None:
            account = lookup.account(uow.session, username)
            query = query.where(AuditEntry.subject == "account",
                                AuditEntry.subject_id == account.id)
        rows = list(uow.session.execute(query).scalars())
        names = _names(uow.session, rows)
        return [entry_view(row, names) for row in rows]


def _names(session: Session, rows: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """Today's name of each subject: a shop's name, an account's @username."""
    from shoplink.workflows.models import Account, Shop

    names: dict[tuple[str, int], str] = {}
    for subject, model, label in (("shop", Shop, Shop.name), ("account", Account,
                                                               Account.username)):
        ids = {r.subject_id for r in rows if r.subject == subject}
        if ids:
            for key, name in session.execute(sa.select(model.id, label).where(model.id.in_(ids))):
                names[(subject, key)] = name if subject == "shop" else f"@{name}"
    return names
