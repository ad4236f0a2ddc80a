"""What a caller notices when the server is busy: reads never wait behind a writer, a token's
use is written at most once a minute, and no free connection in time answers 503."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shoplink.api.serving import Sizing, application
from shoplink.workflows.clock import as_utc
from shoplink.workflows.models import ApiToken, Link, LinkEvent, Shop
from tests.acceptance.api_support import build_world
from tests.conftest import T0, listening

READS = ("/v1/shops/{shop}", "/v1/shops/{shop}/marketing-accounts", "/v1/shops/{shop}/links",
         "/v1/links/{link}", "/v1/shops/{shop}/accounts?q=ali")


@contextmanager
def writer_holding_the_shop(engine: sa.Engine, shop_id: int) -> Iterator[None]:
    """Another transaction in the middle of a write to the shop (its lock held)."""
    with engine.connect() as connection:
        connection.execute(sa.select(Shop.id).where(Shop.id == shop_id).with_for_update()
                           if engine.dialect.name == "postgresql" else
                           sa.update(Shop).where(Shop.id == shop_id).values(region="US"))
        yield
        connection.rollback()


def _in_thread(work, seconds: float = 10.0):
    done: list = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    return done[0] if done else None


def test_reads_answer_while_a_writer_holds_the_shop(engine):
    world = build_world(engine)
    world.call("seller", "GET", f"/v1/shops/{world.shop_id}")  # its use recorded this minute
    with writer_holding_the_shop(engine, world.shop_id):
        for path in READS:
            url = path.format(shop=world.shop_id, link=world.link_id)
            response = _in_thread(lambda u=url: world.call("seller", "GET", u))
            assert response is not None, f"GET {url} waited behind the writer"
            assert response.status_code == 200, (url, response.text)


def test_a_read_with_nothing_overdue_writes_nothing(engine):
    world = build_world(engine)
    world.call("seller", "GET", f"/v1/shops/{world.shop_id}")  # the token's use, recorded
    before = _snapshot(engine)
    for path in READS:
        world.call("seller", "GET", path.format(shop=world.shop_id, link=world.link_id))
    assert _snapshot(engine) == before


def test_a_read_on_postgresql_sends_no_begin_or_rollback_and_on_sqlite_reads_one_snapshot(
        engine, backend):
    """At PostgreSQL's READ COMMITTED each statement has its own snapshot, in a transaction
    or not, so a read runs without one (two round trips fewer). On SQLite a read of several
    statements keeps one deferred transaction, so all of them see the same snapshot; a read
    of one statement (the token, the search, the tab) is its own snapshot, without BEGIN."""
    world = build_world(engine)
    world.call("seller", "GET", f"/v1/shops/{world.shop_id}")  # the token's use, recorded
    in_transaction: list[bool] = []

    def after(connection, *_args) -> None:
        driver = connection.connection.driver_connection
        in_transaction.append(driver.info.transaction_status != 0 if backend == "postgresql"
                              else driver.in_transaction)

    reads = []
    with listening(engine, after_cursor_execute=after):
        for path in READS:
            url = path.format(shop=world.shop_id, link=world.link_id)
            in_transaction.clear()
            assert world.call("seller", "GET", url).status_code == 200, url
            reads.append((url, list(in_transaction)))
    reads_of_several = 0
    for url, (token, *statements) in reads:
        assert statements, url
        reads_of_several += len(statements) > 1
        several = backend == "sqlite" and len(statements) > 1
        assert (token, set(statements)) == (False, {several}), url
    assert reads_of_several >= 2  # the shop and the link


def test_a_read_catches_up_an_overdue_invitation_first(engine):
    world = build_world(engine)
    world.at(T0 + timedelta(hours=48))
    response = world.call("seller", "GET", f"/v1/links/{world.link_id}")
    assert response.json()["state"] == "expired"
    assert response.json()["history"][-1]["event"] == "expire"


def test_a_tokens_use_is_recorded_at_most_once_a_minute(engine):
    world = build_world(engine)
    path = f"/v1/shops/{world.shop_id}"
    for seconds, recorded in ((0, 0), (59, 0), (60, 60), (119, 60), (120, 120)):
        world.at(T0 + timedelta(seconds=seconds))
        assert world.call("seller", "GET", path).status_code == 200
        assert _last_used(engine, world) == T0 + timedelta(seconds=recorded), seconds


def test_no_free_connection_in_time_answers_503_with_retry_after(database_url):
    app = application(database_url, Sizing(threads=4, pool_size=1, pool_timeout=0.2),
                      clock=lambda: T0)
    engine = app.state.engine
    world = build_world(engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = world.headers("seller")
        with engine.connect():  # the pool's only connection, taken
            busy = client.get(f"/v1/shops/{world.shop_id}", headers=headers)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert busy.json()["error"]["code"] == "unavailable"
        assert client.get(f"/v1/shops/{world.shop_id}", headers=headers).status_code == 200
        with engine.connect():  # input that does not parse: the token is checked first
            busy = client.get(f"/v1/shops/{world.shop_id}/links?limit=0", headers=headers)
        assert (busy.status_code, busy.headers["Retry-After"]) == (503, "1")


@pytest.mark.parametrize("action", ["create", "accept"])
def test_the_debug_log_says_how_long_a_write_waited_for_the_shops_lock(
        database_url, caplog, action):
    """`--log-level debug serve`: a link created, or accepted, while another writer holds
    the shop for half a second reports that wait under `locks`, not as time unaccounted
    for (an acceptance on PostgreSQL sends its locks in a pipelined block, and waits at its
    end)."""
    caplog.set_level(logging.DEBUG, logger="shoplink.api.timing")
    app = application(database_url, Sizing(threads=4), clock=lambda: T0)
    engine = app.state.engine
    world = build_world(engine)
    with TestClient(app) as client:
        if action == "create":
            path, body, headers = f"/v1/shops/{world.shop_id}/links", {"account": "bob"}, \
                world.headers("seller")
            warm = client.post(path, json={"account": "alice"}, headers=headers)
            assert warm.json()["error"]["code"] == "already_linked"  # the path, run
        else:
            path, body, headers = f"/v1/links/{world.link_id}/accept", None, \
                world.headers("invitee")
            warm = client.post(path, headers=world.headers("other_account"))
            assert warm.status_code == 404  # the path up to the link, run
        with engine.connect(), engine.connect():
            pass  # two pooled connections: the request below opens none while it is timed
        with writer_holding_the_shop(engine, world.shop_id):
            thread = threading.Thread(target=lambda: client.post(path, json=body, headers=headers))
            thread.start()
            time.sleep(0.5)
        thread.join(10)
    [line] = [r for r in caplog.records
              if r.getMessage().startswith(f"POST {path} {201 if action == 'create' else 200}")]
    # Most of the half second (the request reaches the lock a little after its start,
    # later on a busy machine); without the wait counted, this read 0.0.
    assert line.lock_ms >= 100, line.getMessage()
    assert line.total_ms >= line.lock_ms


def _snapshot(engine: sa.Engine) -> tuple:
    with engine.connect() as connection:
        return (
            connection.execute(sa.select(sa.func.count()).select_from(LinkEvent)).scalar(),
            tuple(connection.execute(sa.select(Link.id, Link.state).order_by(Link.id))),
            tuple(connection.execute(sa.select(ApiToken.id, ApiToken.last_used_at)
                                     .order_by(ApiToken.id))),
        )


def _last_used(engine: sa.Engine, world) -> object:
    token_id = (world.tokens["seller"] or "").partition(".")[0]
    with engine.connect() as connection:
        value = connection.execute(sa.select(ApiToken.last_used_at)
                                   .where(ApiToken.id == token_id)).scalar()
    return as_utc(value) if value else None
