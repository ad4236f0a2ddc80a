"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from SHOPLINK_TEST_POSTGRES_URL (default: the local server's
`test` database, used only to create a fresh database per run, dropped at the end).
Without a server the PostgreSQL cases skip with the reason; under CI=true they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import freezegun
import psycopg  # noqa: F401 - loaded before freezegun patches datetime (its C extension checks it)
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from shoplink.cli.main import cli
from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Link
from shoplink.workflows.schema import upgrade
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.vocabulary import FINAL_STATES

ADMIN_URL = os.environ.get(
    "SHOPLINK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
T0 = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)

# pytest times each phase through _pytest.timing; a fixture that yields inside freeze_time
# would hand it the frozen clock, and --durations would report 56-year setups.
freezegun.configure(extend_ignore_list=["_pytest.timing"])


def _admin_engine() -> sa.Engine:
    return make_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def unavailable(reason: str) -> NoReturn:
    """A service or tool the test needs is missing: skip here, fail under CI=true, where
    every test must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first (real processes, daemons, the browser): the workers then end on
    short ones, and neither waits long for the other at the end of a run."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow")
                                     or "browser" in item.path.parts))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database, migrated, for this test session (or xdist worker)."""
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            superuser = connection.execute(sa.text(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    except sa.exc.OperationalError as failure:
        unavailable(f"PostgreSQL is not reachable at {ADMIN_URL}: {str(failure.orig).strip()}")
    if not superuser:
        unavailable(f"the PostgreSQL tests need a superuser role at {ADMIN_URL}: they "
                    "empty tables with their triggers paused (session_replication_role)")
    name = f"shoplink_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    upgrade(engine)
    engine.dispose()
    yield url
    emptier = _EMPTIERS.pop(url, None)
    if emptier is not None:
        emptier.engine.dispose()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating takes longer than copying)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


class _Emptier:
    """Empties one PostgreSQL test database between tests, on a connection kept for the
    worker's session (a new connection costs more than emptying; `make_engine` pings it
    when it sat idle)."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, pool_size=1, max_overflow=0)
        with self.engine.connect() as connection:
            self.statements = _emptying_statements(connection)

    def empty(self) -> None:
        with self.engine.begin() as connection:
            connection.exec_driver_sql(self.statements)


_EMPTIERS: dict[str, _Emptier] = {}


def _emptying_statements(connection: sa.Connection) -> str:
    """DELETE every table, children first, with triggers paused (the append-only ones, and
    the foreign keys': `session_replication_role`, for this transaction only), and every
    sequence back to 1. Sent as one string: the statements cost one round trip, not one
    each. DELETE is several times faster than TRUNCATE, which makes new files for every
    table and index, and pausing triggers by role, not `ALTER TABLE ... DISABLE TRIGGER`,
    changes no table: about 2 ms a test instead of 40."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]
    sequences = connection.execute(sa.text(
        "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
    )).scalars().all()
    return ";\n".join([
        "SET LOCAL session_replication_role = replica",
        *(f'DELETE FROM "{t}"' for t in tables),
        "SELECT " + ", ".join(f"setval('\"{s}\"', 1, false)" for s in sequences),
    ])


def _empty_postgres(url: str) -> None:
    if url not in _EMPTIERS:
        _EMPTIERS[url] = _Emptier(url)
    _EMPTIERS[url].empty()


def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of the backend in `request.param`."""
    if request.param == "sqlite":
        path = tmp_path / "shoplink.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each backend."""
    return empty_database(request, tmp_path)


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    """The SQL statements `engine` sends inside the block, transaction control left out."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append(statement)

    with listening(engine, before_cursor_execute=count):
        yield sent


@contextmanager
def listening(engine: sa.Engine, **listeners: Callable[..., Any]) -> Iterator[None]:
    """The engine's events named (`checkout=...`), heard only while the block runs."""
    for name, listener in listeners.items():
        sa.event.listen(engine, name, listener)
    try:
        yield
    finally:
        for name, listener in listeners.items():
            sa.event.remove(engine, name, listener)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url)
    yield engine
    try:
        _assert_ended_exactly_when_final(engine)
    finally:
        engine.dispose()


def _assert_ended_exactly_when_final(engine: sa.Engine) -> None:
    """After every test: each link has `ended_at` exactly when its state is final, which
    the unique index of open links relies on (migration 0010: an ended link must never
    block a new one, an open one always must)."""
    final = Link.state.in_(FINAL_STATES)
    broken = sa.or_(sa.and_(Link.ended_at.is_(None), final),
                    sa.and_(Link.ended_at.is_not(None), sa.not_(final)))
    with engine.connect() as connection:
        rows = connection.execute(sa.select(Link.id, Link.state, Link.ended_at)
                                  .where(broken).limit(3)).all()
    assert not rows, f"links whose ended_at disagrees with their state: {rows}"


@pytest.fixture
def uow(engine: sa.Engine) -> Callable[[], UnitOfWork]:
    """Builds a fresh unit of work; each service call takes its own."""
    return lambda: UnitOfWork(engine)


@pytest.fixture
def make_shop(uow: Callable[[], UnitOfWork]) -> Callable[..., dict[str, Any]]:
    from shoplink.workflows.shops import add_shop

    counter = iter(range(1, 10_000))

    def build(name: str | None = None, *, now: datetime = T0, **options: Any) -> dict[str, Any]:
        return add_shop(uow(), name or f"Shop {next(counter)}", now, **options)

    return build


@pytest.fixture
def make_account(uow: Callable[[], UnitOfWork]) -> Callable[..., dict[str, Any]]:
    from shoplink.workflows.accounts import add_account

    counter = iter(range(1, 100_000))

    def build(username: str | None = None, *, now: datetime = T0,
              **fields: Any) -> dict[str, Any]:
        name = username or f"user{next(counter)}"
        return add_account(uow(), {"username": name, **fields}, now)

    return build


@pytest.fixture
def run_cli(database_url: str) -> Callable[..., Result]:
    """Runs `shoplink --db URL ...` in-process and checks it never prints a traceback."""
    runner = CliRunner()

    def run(*args: str, json: bool = False) -> Result:
        options = ["--db", database_url] + (["--json"] if json else [])
        result = runner.invoke(cli, [*options, *args], catch_exceptions=False)
        assert "Traceback" not in result.output + result.stderr
        return result

    return run
