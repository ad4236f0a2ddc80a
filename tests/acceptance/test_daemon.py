"""`shoplink daemon` as an operator runs it: a real process, real time, real signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from tests.acceptance.daemons import (
    SHOPLINK,
    insert_due_links,
    pending,
    timer_events,
    wait_until,
)

pytestmark = pytest.mark.slow
SECOND = timedelta(seconds=1)


def test_links_move_within_a_second_of_their_deadlines_and_sigterm_exits_0(
        database_url, daemons):
    daemon = daemons(database_url)
    daemon.wait_for("start")
    now = datetime.now(UTC)
    # The first two seconds ahead, so the one-second look-ahead sees it; each later one is
    # a wake-up of its own, armed by the sweep before it.
    insert_due_links(database_url, [("expire", now + 2 * SECOND),
                                    ("unlock", now + 2.5 * SECOND),
                                    ("expire", now + 3 * SECOND)])
    daemon.wait_swept(3, timeout=10)
    assert pending(database_url) == 0
    rows = timer_events(database_url)
    assert [(r.event, r.state, r.actor) for r in rows] == [
        ("expire", "expired", "system"), ("unlock", "unlinkable", "system"),
        ("expire", "expired", "system")]
    lateness = [(r.recorded_at - r.at).total_seconds() for r in rows]
    assert all(0 <= late < 1 for late in lateness), (lateness, daemon.lines)
    assert daemon.stop(signal.SIGTERM) == 0
    assert daemon.lines[-1]["message"] == "daemon stopped"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_three_daemons_on_postgresql_apply_each_due_transition_exactly_once(
        database_url, daemons):
    crew = [daemons(database_url, "--poll", "0.5") for _ in range(3)]
    for daemon in crew:
        daemon.wait_for("start")
    due = datetime.now(UTC) + 2 * SECOND
    timers = [("expire" if n % 2 else "unlock", due + n * timedelta(microseconds=100))
              for n in range(3000)]
    insert_due_links(database_url, timers)
    wait_until(lambda: sum(daemon.swept() for daemon in crew) >= 3000, what="3000 transitions")
    assert [daemon.stop() for daemon in crew] == [0, 0, 0]
    per_link = Counter(row.link_id for row in timer_events(database_url))
    assert len(per_link) == 3000 and set(per_link.values()) == {1}
    assert pending(database_url) == 0
    assert sum(daemon.swept() for daemon in crew) == 3000
    assert sum(1 for daemon in crew if daemon.swept()) >= 2  # they really shared the work


def backlog(size: int) -> list[tuple[str, datetime]]:
    """`size` timers that fell due over the last hour, a millisecond apart, half of each kind."""
    start = datetime.now(UTC) - timedelta(hours=1)
    return [("expire" if n % 2 else "unlock", start + n * timedelta(milliseconds=1))
            for n in range(size)]


def test_sigterm_mid_backlog_commits_the_batch_in_flight_and_exits_0(database_url, daemons):
    insert_due_links(database_url, backlog(20_000))
    daemon = daemons(database_url, "--batch-size", "500")  # a backlog of many batches
    daemon.wait_for("sweep")
    assert daemon.stop(signal.SIGTERM) == 0
    left = pending(database_url)
    assert left > 0  # it stopped between batches instead of finishing the backlog
    assert daemon.swept() == 20_000 - left == len(timer_events(database_url))
    messages = [line["message"] for line in daemon.lines]
    assert "SIGTERM received: finishing the batch in flight" in messages
    assert messages[-1] == "daemon stopped"


def test_a_daemon_killed_mid_backlog_loses_nothing_and_repeats_nothing_after_a_restart(
        database_url, daemons):
    timers = backlog(20_000)
    insert_due_links(database_url, timers)
    first = daemons(database_url, "--batch-size", "500")
    first.wait_for("sweep")
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL
    left = pending(database_url)
    assert 0 < left < 20_000  # killed in the middle of the catch-up
    done = timer_events(database_url)
    for event in ("expire", "unlock"):  # catch-up runs in deadline order
        applied = {r.at for r in done if r.event == event}
        assert max(applied) < min(d for e, d in timers if e == event and d not in applied)

    second = daemons(database_url, "--batch-size", "500")
    second.wait_swept(left, timeout=30)
    assert second.stop(signal.SIGTERM) == 0
    assert pending(database_url) == 0
    per_link = Counter(row.link_id for row in timer_events(database_url))
    assert len(per_link) == 20_000 and set(per_link.values()) == {1}
    assert second.swept() == left


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_second_daemon_on_one_sqlite_file_is_refused_with_exit_2(database_url, daemons):
    first = daemons(database_url)
    first.wait_for("start")
    second = subprocess.run([SHOPLINK, "--db", database_url, "--json", "daemon"],
                            capture_output=True, text=True, timeout=30)
    assert second.returncode == 2
    error = json.loads(second.stderr)["error"]
    assert error["code"] == "bad_input"
    assert "already running" in error["message"] and "one daemon at a time" in error["message"]
    assert first.process.poll() is None
    assert first.stop(signal.SIGINT) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("command", [["--help"], ["jobs", "run-due"], ["daemon", "--help"]])
def test_only_the_daemon_itself_imports_apscheduler(database_url, command):
    script = ("import sys; from cli.main import cli; "
              f"cli({['--db', database_url, *command]!r}, standalone_mode=False); "
              "print('apscheduler' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False"
