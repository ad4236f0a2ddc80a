"""Printing results: one JSON document with --json, else an aligned table or a sentence."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from shoplink.cli.app import App

ISO_UTC = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z")


def emit(app: App, data: Any, human: Callable[[Any], str] | str) -> None:
    if app.json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(human(data) if callable(human) else human)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], empty: str = "none") -> str:
    if not rows:
        return f"({empty})"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def fields(data: dict[str, Any], keys: Sequence[str] | None = None) -> str:
    keys = keys or [k for k in data if not isinstance(data[k], list | dict)]
    width = max(len(k) for k in keys)
    return "\n".join(f"{k.ljust(width)}  {_cell(data.get(k))}" for k in keys)


def when(value: str | None) -> str:
    """An ISO 8601 UTC time as people read it: to the second, marked UTC."""
    if value is None:
        return "-"
    match = ISO_UTC.fullmatch(value)
    return f"{match[1]} {match[2]} UTC" if match else value


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "-"
    if isinstance(value, str) and ISO_UTC.fullmatch(value):
        return when(value)
    return str(value)


def error(app: App, code: str, message: str, extra: dict[str, Any] | None = None, *,
          readable_times: bool = False) -> None:
    """The error document of SPEC section 6 on stderr, or one line.

    `readable_times` rewrites the deadlines a refusal names; input echoed back stays verbatim.
    """
    if app.json:
        document = {"error": {"code": code, "message": message, **(extra or {})}}
        sys.stderr.write(json.dumps(document, ensure_ascii=False) + "\n")
    else:
        if readable_times:
            message = ISO_UTC.sub(lambda t: when(t[0]), message)
        sys.stderr.write(f"error: {message}\n")
