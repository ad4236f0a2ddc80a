"""What the CLI acceptance tests share: the database as rows, the error document, the clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg  # noqa: F401 - its C extension must load before freezegun swaps datetime
import sqlalchemy as sa
from click.testing import Result
from freezegun import freeze_time

from shoplink.workflows.db import make_engine
from tests.conftest import T0

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


_TABLES: dict[str, sa.MetaData] = {}


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: two equal snapshots mean nothing was written."""
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            # Every test database is migrated to the same head: reflect once per backend.
            metadata = _TABLES.get(engine.dialect.name)
            if metadata is None:
                metadata = _TABLES[engine.dialect.name] = sa.MetaData()
                metadata.reflect(connection)
            return {
                name: sorted(map(tuple, connection.execute(table.select()).all()), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot(url).items()}


def error_of(result: Result) -> dict[str, Any]:
    """The error document the command wrote on stderr (and nothing on stdout)."""
    assert result.stdout == "", result.stdout
    document = json.loads(result.stderr)
    assert set(document) == {"error"}
    assert {"code", "message"} <= set(document["error"])
    return document["error"]


def data_of(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused_cleanly(run_cli: Any, url: str, args: tuple[str, ...], exit_code: int,
                    code: str) -> dict[str, Any]:
    """Run a failing command twice (human, --json): its exit, its code, one line, no writes."""
    before = snapshot(url)
    human = run_cli(*args)
    assert human.exit_code == exit_code, human.output
    assert human.stdout == ""
    assert human.stderr.startswith("error: ") and human.stderr.count("\n") == 1, human.stderr
    machine = run_cli(*args, json=True)
    assert machine.exit_code == exit_code, machine.output
    error = error_of(machine)
    assert error["code"] == code, error
    assert snapshot(url) == before
    return error


@contextmanager
def clock(start: Any = T0) -> Iterator[Any]:
    """Freeze the clock the CLI reads; `.move_to(t)` or `.tick(delta)` travels."""
    with freeze_time(start) as frozen:
        yield frozen
