"""The service layer for the account directory: add, import, search."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workflows import validate
from workflows.errors import BadInput
from workflows.models import Account
from workflows.records import read_rows
from workflows.uow import UnitOfWork
from workflows.views import account_view

FIELDS = ("username", "nickname", "email", "region", "birth_date", "status")


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated account fields; only those given are returned, username always."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise BadInput(f"unknown field {unknown[0]!r}: use {', '.join(FIELDS)}")
    if not fields.get("username"):
        raise BadInput("username is required")
    parsers: dict[str, Callable[[Any], Any]] = {
        "username": validate.username, "nickname": validate.nickname, "email": validate.email,
        "region": validate.region, "birth_date": validate.birth_date, "status": validate.status,
    }
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if value is not None and not isinstance(value, str):
            raise BadInput(f"{name} must be text, not {type(value).__name__}")
        clean[name] = parsers[name](value)
    if "nickname" in clean:
        clean["nickname_key"] = validate.search_key(clean["nickname"])
    return clean


def add_account(uow: UnitOfWork, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    clean = _clean({k: v for k, v in fields.items() if v is not None})
    clean.setdefault("nickname", "")
    clean.setdefault("nickname_key", "")
    with uow:
        account = Account(**clean, created_at=now, updated_at=now)
        uow.add_unique(account, f"account @{clean['username']} already exists")
        view = account_view(account)
        uow.commit()
    return view


def import_accounts(uow: UnitOfWork, path: Path, now: datetime) -> dict[str, int]:
    """Add or update every record, or none: the first bad line is named and nothing is written."""
    records: dict[str, dict[str, Any]] = {}
    for number, fields in read_rows(path):
        try:
            clean = _clean({k: v for k, v in fields.items() if v is not None})
        except BadInput as error:
            raise BadInput(f"line {number}: {error.message}") from None
        records[clean["username"]] = clean
    added = updated = 0
    with uow:
        existing: dict[str, Account] = {}
        names = list(records)
        for start in range(0, len(names), 500):
            chunk = names[start:start + 500]
            existing.update(
                (a.username, a) for a in uow.session.execute(
                    sa.select(Account).where(Account.username.in_(chunk))).scalars()
            )
        fresh = []
        for name, clean in records.items():
            if name in existing:
                for key, value in clean.items():
                    setattr(existing[name], key, value)
                existing[name].updated_at = now
                updated += 1
            else:
                clean.setdefault("nickname", "")
                clean.setdefault("nickname_key", "")
                fresh.append({"region": "US", "status": "active", "email": None,
                              "birth_date": None, **clean, "created_at": now, "updated_at": now})
                added += 1
        if fresh:
            uow.session.execute(sa.insert(Account), fresh)
        uow.commit()
    return {"added": added, "updated": updated}


def search_accounts(uow: UnitOfWork, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Exact matches of username or nickname first, then prefix matches; case-insensitive.

    Four index range scans, each stopped at `limit`, merged here: fast at a million rows.
    """
    validate.positive(limit, "--limit")
    key = validate.search_key(query).removeprefix("@")
    if not key:
        raise BadInput("search query must not be blank")
    upper = key + "\U0010ffff"
    searches = [
        Account.username == key,
        Account.nickname_key == key,
        sa.and_(Account.username >= key, Account.username < upper),
        sa.and_(Account.nickname_key >= key, Account.nickname_key < upper),
    ]
    orders = [Account.id, Account.id, Account.username, Account.nickname_key]
    found: dict[int, dict[str, Any]] = {}
    with uow:
        for condition, order in zip(searches, orders, strict=True):
            if len(found) >= limit:
                break
            rows = uow.session.execute(
                sa.select(Account).where(condition).order_by(order).limit(limit)
            ).scalars()
            for account in rows:
                found.setdefault(account.id, account_view(account))
    return list(found.values())[:limit]
