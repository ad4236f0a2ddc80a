"""PostgreSQL's pooled connections: pinged when they sat idle, never under load."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from shoplink.workflows import db


@pytest.fixture
def pooled(postgres_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """An engine with a pool of one, so every use takes the same connection; its pings
    are counted in `engine.pings`."""
    engine = db.make_engine(postgres_database, pool_size=1, max_overflow=0)
    pings: list[object] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        pings.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    engine.pings = pings  # type: ignore[attr-defined]
    yield engine
    engine.dispose()


def _backend_pid(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(postgres_database: str, pid: int) -> None:
    admin = sa.create_engine(db.parse_url(postgres_database), poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_ping(pooled):
    first = _backend_pid(pooled)
    for _ in range(20):
        assert _backend_pid(pooled) == first
    assert pooled.pings == []


def test_a_connection_idle_past_the_limit_is_pinged_once(pooled, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.05)
    first = _backend_pid(pooled)
    time.sleep(0.1)
    assert _backend_pid(pooled) == first
    assert len(pooled.pings) == 1


def test_a_connection_whose_server_went_away_while_idle_is_replaced_without_a_failure(
        pooled, postgres_database, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.05)
    gone = _backend_pid(pooled)
    _terminate(postgres_database, gone)
    time.sleep(0.1)
    replaced = _backend_pid(pooled)  # no error: the ping found it gone, a new one answered
    assert replaced != gone
    assert len(pooled.pings) == 1


def test_a_connection_that_went_away_within_the_limit_fails_one_use_then_the_pool_recovers(
        pooled, postgres_database):
    gone = _backend_pid(pooled)
    _terminate(postgres_database, gone)
    with pytest.raises(sa.exc.OperationalError) as failure:
        _backend_pid(pooled)
    assert failure.value.connection_invalidated
    assert _backend_pid(pooled) not in (gone, None)
