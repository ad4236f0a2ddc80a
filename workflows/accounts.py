"""The service layer for the account directory: add, import, search."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa

from shoplink.workflows import lookup, validate
from shoplink.workflows.account_changes import OPERATOR, update
from shoplink.workflows.clock import as_utc
from shoplink.workflows.db import single_read
from shoplink.workflows.driver import driven
from shoplink.workflows.errors import BadInput, Refused, Violation, quoted
from shoplink.workflows.models import Account
from shoplink.workflows.records import read_rows
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.views import account_view

ACCOUNTS = cast(sa.Table, Account.__table__)
FIELDS = ("username", "nickname", "email", "region", "birth_date", "status",
          "identity_verified")


def _clean(fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Validated account fields; only those given are returned, username always."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise BadInput(f"unknown field {quoted(unknown[0])}: use {', '.join(FIELDS)}")
    if not fields.get("username"):
        raise BadInput("username is required")
    parsers: dict[str, Callable[[Any], Any]] = {
        "username": validate.username, "nickname": validate.nickname, "email": validate.email,
        "region": validate.region, "status": validate.status,
        "birth_date": lambda raw: validate.birth_date(raw, as_utc(now).date()),
        "identity_verified": lambda raw: validate.flag(raw, "identity_verified"),
    }
    if fields.get("identity_verified") == "":  # a blank cell: not given (new: verified)
        fields = {k: v for k, v in fields.items() if k != "identity_verified"}
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "identity_verified" and isinstance(value, bool):
            pass
        elif value is not None and not isinstance(value, str):
            raise BadInput(f"{name} must be text, not {type(value).__name__}")
        clean[name] = parsers[name](value)
    if "nickname" in clean:
        clean["nickname_key"] = validate.search_key(clean["nickname"])
    return clean


def clean_fields(fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Account fields checked as `account add` checks them; None means not given."""
    return _clean({k: v for k, v in fields.items() if v is not None}, now)


def add_account(uow: UnitOfWork, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Add an account; identity verified unless told otherwise, as the directory was before."""
    clean = clean_fields(fields, now)
    clean.setdefault("nickname", "")
    clean.setdefault("nickname_key", "")
    with uow:
        account = Account(**clean, created_at=now, updated_at=now)
        uow.add_unique(account, f"account @{clean['username']} already exists")
        view = account_view(account)
        uow.commit()
    return view


def import_accounts(uow: UnitOfWork, path: Path, now: datetime) -> dict[str, int]:
    """Add or update every record, or none: the first bad line is named and nothing is written.

    An update goes through the same rules as `account update`, and is audited.
    """
    records: dict[str, dict[str, Any]] = {}
    lines: dict[str, int] = {}
    for number, fields in read_rows(path):
        try:
            clean = _clean({k: v for k, v in fields.items() if v is not None}, now)
        except BadInput as error:
            raise BadInput(f"line {number}: {error.message}") from None
        records[clean["username"]] = clean
        lines[clean["username"]] = number
    added = updated = 0
    with uow:
        existing: dict[str, Account] = {}
        names = sorted(records)  # one lock order (by username) for every import
        for start in range(0, len(names), 500):
            chunk = names[start:start + 500]
            query = sa.select(Account).where(Account.username.in_(chunk)).order_by(
                Account.username)
            existing.update((a.username, a) for a in uow.session.execute(
                uow.locking(query, Account)).scalars())
        fresh = []
        for name, clean in records.items():
            if name in existing:
                try:
                    update(uow, existing[name], clean, now, OPERATOR, "import")
                except Refused as refusal:
                    raise Refused([Violation(v.code, f"line {lines[name]}: {v.message}")
                                   for v in refusal.violations]) from None
                updated += 1
            else:
                clean.setdefault("nickname", "")
                clean.setdefault("nickname_key", "")
                fresh.append({"region": "US", "status": "active", "email": None,
                              "birth_date": None, "identity_verified": True,
                              "business": False, **clean, "created_at": now, "updated_at": now})
                added += 1
        if fresh:
            uow.session.execute(sa.insert(Account), fresh)
        uow.commit()
    return {"added": added, "updated": updated}


def update_account(uow: UnitOfWork, username: str, fields: dict[str, Any], now: datetime, *,
                   actor: str = OPERATOR) -> dict[str, Any]:
    """Change the given fields of an account, each checked as `account add` checks it."""
    if "username" in fields:
        raise BadInput("a username cannot change: add a new account instead")
    given = {k: v for k, v in fields.items() if v is not None}
    if not given:
        raise BadInput("nothing to update: give at least one of "
                       + ", ".join(f"--{f.replace('_', '-')}" for f in FIELDS[1:]))
    for field in ("region", "status"):
        if given.get(field) == "":
            raise BadInput(f"--{field} must not be empty")
    clean = clean_fields({"username": username, **given}, now)
    with uow:
        found = lookup.account(uow.session, username)
        account = uow.lock_account(found.id)
        changes = update(uow, account, clean, now, actor)
        view = account_view(account)
        view["changed"] = sorted(changes)
        uow.commit()
    return view


def search_accounts(uow: UnitOfWork, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Exact matches of username or nickname first, then prefix matches; case-insensitive.

    One statement of four index range scans, each stopped at `limit`: fast at a million
    rows, read with no session (`db.single_read`). A prefix is read as an open range
    (`>= key`) in index order, so no planner can mistake it for a few rows to fetch and
    sort, and cut where the prefix ends before the accounts are joined: past the prefix,
    the rows of the range are read from the index only, never fetched or sent.
    """
    validate.positive(limit, "--limit")
    key = validate.search_key(query).removeprefix("@")
    if not key:
        raise BadInput("search query must not be blank")
    views: dict[int, dict[str, Any]] = {}
    with single_read(uow.engine) as connection:
        for row in driven(_search_statement(limit)).all(connection, {"key": key}):
            views.setdefault(row.id, account_view(row))
    return list(views.values())[:limit]


SEARCH_COLUMNS = ("id", "username", "nickname", "nickname_key", "email", "region", "status",
                  "birth_date", "identity_verified", "business")


@functools.lru_cache(maxsize=16)
def _search_statement(limit: int) -> sa.Select:
    """The search for one `limit`, built once: the key is a bound parameter, and the ranks,
    the limit and the prefix's start are written into the SQL (`_number`). Bound, they left
    PostgreSQL's generic plan guessing at the limit (a tenth of the table, so a hash join
    over every account), and it planned the search afresh at every execution instead."""
    key = sa.bindparam("key", type_=sa.String())
    reads = []
    for rank, column in enumerate((ACCOUNTS.c.username, ACCOUNTS.c.nickname_key)):
        reads.append(_ranked(rank, column == key, column, limit))
        reads.append(_ranked(rank + 2, column >= key, column, limit))
    found = sa.union_all(*reads).subquery("found")
    shown = [ACCOUNTS.c[name] for name in SEARCH_COLUMNS]  # what account_view shows, no times
    # Ranks 0 and 1 match exactly; 2 and 3 are open ranges, kept where the prefix holds.
    prefixed = sa.func.substr(found.c.position, _number(1), sa.func.length(key)) == key
    return (
        sa.select(*shown, found.c.rank)
        .join(found, found.c.id == ACCOUNTS.c.id)
        .where(sa.or_(found.c.rank < _number(2), prefixed))
        .order_by(found.c.rank, found.c.position, found.c.id)
    )


def _ranked(rank: int, condition: sa.ColumnElement[bool], column: Any, limit: int) -> sa.Select:
    """One read of the search: up to `limit` ids in `column`'s index order, under a rank."""
    inner = (
        sa.select(ACCOUNTS.c.id, _number(rank).label("rank"), column.label("position"))
        .where(condition).order_by(column, ACCOUNTS.c.id).limit(_number(limit)).subquery()
    )
    return sa.select(inner)


def _number(value: int) -> sa.ColumnElement[int]:
    """An integer written into the SQL, not bound."""
    return sa.literal_column(str(int(value)), sa.Integer())
