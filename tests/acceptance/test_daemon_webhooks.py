"""Real daemons deliver webhooks: at once after a commit, and none lost to SIGKILL."""

from __future__ import annotations

import shutil
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from shoplink.workflows.accounts import add_account
from shoplink.workflows.db import make_engine
from shoplink.workflows.outbox import read_events
from shoplink.workflows.shops import add_shop
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.webhooks import add_endpoint
from tests.acceptance.daemons import insert_due_links, wait_until
from tests.conftest import _empty_postgres
from tests.integration import shoplink_process as shoplink
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow
BURST = 1000


def event_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {f"evt_{e['id']}" for e in read_events(UnitOfWork(engine), 0, 100_000)}
    finally:
        engine.dispose()


def register(url: str, receiver: Receiver, *events: str) -> str:
    """Add the receiver as an endpoint; its secret."""
    engine = make_engine(url)
    added = add_endpoint(UnitOfWork(engine), receiver.url, list(events), datetime.now(UTC))
    engine.dispose()
    return added["secret"]


def test_an_invitation_sent_by_the_cli_reaches_the_receiver_within_a_second(
        database_url, daemons):
    engine = make_engine(database_url)
    add_shop(UnitOfWork(engine), "Acme", datetime.now(UTC))
    add_account(UnitOfWork(engine), {"username": "alice"}, datetime.now(UTC))
    engine.dispose()
    with Receiver() as receiver:
        secret = register(database_url, receiver, "invitation.sent")
        daemon = daemons(database_url, "--poll", "0.2")
        daemon.wait_for("start")
        time.sleep(0.5)  # the watcher is listening
        created = shoplink.run(database_url, "link", "new", "Acme", "alice")
        assert created.returncode == 0, created.stderr
        committed = time.monotonic()
        wait_until(lambda: len(receiver.requests) >= 1, 5, "the invitation")
        assert time.monotonic() - committed < 1.0
        assert daemon.stop() == 0
    assert daemon.logged("deliver") and secret not in repr(daemon.lines)


def test_a_daemon_killed_during_a_burst_loses_no_event(database_url, daemons):
    with Receiver() as receiver:
        register(database_url, receiver)
        insert_due_links(database_url, [("expire", datetime.now(UTC) - timedelta(hours=1))] * BURST)
        first = daemons(database_url, "--webhook-timeout", "0.5")
        wait_until(lambda: len(receiver.requests) >= BURST // 5, 60, "a fifth of the burst")
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
        sent_before = len(receiver.requests)
        second = daemons(database_url, "--webhook-timeout", "0.5")
        expected = event_ids(database_url)
        assert len(expected) == BURST
        wait_until(lambda: expected <= set(receiver.ids()), 90, "every event")
        assert second.stop() == 0
        duplicates = sum(n - 1 for n in receiver.ids().values())
    print(f"killed after {sent_before} requests: {duplicates} duplicates, none missing")
    assert sent_before < BURST
    assert duplicates <= 2 * 32  # at most what was in flight or unrecorded at the kill


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """SQLite runs one daemon at a time, so several daemons are a PostgreSQL-only case."""
    _empty_postgres(postgres_database)
    return postgres_database


def test_three_daemons_on_postgresql_share_a_burst_without_duplicates(postgres_url, daemons):
    database_url = postgres_url
    with Receiver() as receiver:
        register(database_url, receiver)
        runners = [daemons(database_url, "--webhook-concurrency", "4") for _ in range(3)]
        for runner in runners:
            runner.wait_for("start")
        insert_due_links(database_url, [("expire", datetime.now(UTC) - timedelta(hours=1))] * 300)
        wait_until(lambda: len(event_ids(database_url)) == 300, 60, "the sweep")
        expected = event_ids(database_url)
        wait_until(lambda: expected <= set(receiver.ids()), 60, "every event")
        time.sleep(0.5)
        assert [runner.stop() for runner in runners] == [0, 0, 0]
        assert max(receiver.ids().values()) == 1
    senders = [len(runner.logged("deliver")) for runner in runners]
    assert sum(senders) == 300


def test_no_webhooks_leaves_deliveries_to_others(tmp_path, sqlite_template, daemons):
    database_url = f"sqlite:///{tmp_path / 'shoplink.db'}"  # a flag, the same on each backend
    shutil.copy(sqlite_template, tmp_path / "shoplink.db")
    with Receiver() as receiver:
        register(database_url, receiver)
        insert_due_links(database_url, [("expire", datetime.now(UTC) - timedelta(hours=1))] * 5)
        daemon = daemons(database_url, "--no-webhooks")
        daemon.wait_swept(5)
        time.sleep(1.0)
        assert daemon.stop() == 0
        assert receiver.requests == []
        delivered = shoplink.run(database_url, "webhook", "deliver")
        assert delivered.returncode == 0 and len(receiver.requests) == 5
