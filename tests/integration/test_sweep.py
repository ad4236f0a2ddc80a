"""The sweep: what moves when, what history it writes, and how it batches its commits."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from shoplink.jobs.sweep import sweep
from shoplink.workflows.clock import utc_now
from shoplink.workflows.links import accept_link, new_link
from shoplink.workflows.models import Link, LinkEvent
from tests.conftest import T0

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
# An invitation sent at T0 expires at T0+48h; a link accepted at T0+24h unlocks then too.
DEADLINE = T0 + 48 * HOUR


@pytest.fixture
def two_timers(make_shop, make_account, uow):
    """One invitation (Acme) and one accepted link (Bolt), both due at DEADLINE: their ids."""
    make_shop("Acme")
    make_shop("Bolt")
    make_account("alice")
    make_account("bob")
    invited = new_link(uow(), "Acme", "alice", T0)
    to_unlock = new_link(uow(), "Bolt", "bob", T0 + 24 * HOUR)
    accept_link(uow(), to_unlock["id"], "bob", T0 + 24 * HOUR)
    return {"expire": invited["id"], "unlock": to_unlock["id"]}


def timer_history(engine, link_id=None):
    query = sa.select(LinkEvent).where(LinkEvent.event.in_(["expire", "unlock"]))
    if link_id is not None:
        query = query.where(LinkEvent.link_id == link_id)
    with engine.connect() as connection:
        return connection.execute(query.order_by(LinkEvent.id)).all()


def states(engine):
    with engine.connect() as connection:
        return dict(connection.execute(sa.select(Link.id, Link.state)).all())


def test_nothing_moves_one_second_before_the_deadline(engine, two_timers):
    with freeze_time(DEADLINE - SECOND):
        swept = sweep(engine, utc_now())
    assert swept.counts == {"expire": 0, "unlock": 0}
    assert states(engine) == {two_timers["expire"]: "invited", two_timers["unlock"]: "linked"}
    assert timer_history(engine) == []


@pytest.mark.parametrize("offset", [timedelta(0), SECOND], ids=["at-deadline", "second-after"])
def test_everything_moves_at_and_after_the_deadline_with_the_deadline_as_at(
        engine, two_timers, offset):
    with freeze_time(DEADLINE + offset):
        swept = sweep(engine, utc_now())
    assert swept.counts == {"expire": 1, "unlock": 1}
    assert states(engine) == {two_timers["expire"]: "expired",
                              two_timers["unlock"]: "unlinkable"}
    rows = {row.event: row for row in timer_history(engine)}
    for event, link_id in two_timers.items():
        row = rows[event]
        assert (row.link_id, row.actor, row.at, row.recorded_at) == (
            link_id, "system", DEADLINE, DEADLINE + offset)
    with engine.connect() as connection:
        ended = connection.execute(
            sa.select(Link.ended_at).where(Link.id == two_timers["expire"])).scalar()
    assert ended == DEADLINE


def test_a_link_the_cli_already_caught_up_is_not_swept_again(engine, two_timers, run_cli):
    with freeze_time(DEADLINE + SECOND):
        shown = json.loads(run_cli("link", "show", str(two_timers["expire"]), json=True).output)
        assert shown["state"] == "expired"
        swept = sweep(engine, utc_now())
    assert swept.counts == {"expire": 0, "unlock": 1}
    assert len(timer_history(engine, two_timers["expire"])) == 1


def test_a_second_sweep_finds_nothing_to_do(engine, two_timers):
    sweep(engine, DEADLINE)
    assert sweep(engine, DEADLINE + HOUR).total == 0
    assert len(timer_history(engine)) == 2


@pytest.fixture
def five_invitations(make_shop, make_account, uow):
    """Five invitations sent a second apart (two shops: four slots each), due from DEADLINE."""
    make_shop("Acme")
    make_shop("Bolt")
    for number in range(5):
        make_account(f"user{number}")
        new_link(uow(), "Acme" if number < 3 else "Bolt", f"user{number}", T0 + number * SECOND)


def test_a_backlog_is_applied_in_batches_with_a_commit_and_a_log_line_each(
        engine, five_invitations, caplog):
    commits = []
    sa.event.listen(engine, "commit", lambda connection: commits.append(1))
    caplog.set_level(logging.INFO, logger="shoplink.jobs")
    swept = sweep(engine, DEADLINE + HOUR, batch=2)
    assert swept.counts == {"expire": 5, "unlock": 0}
    assert (swept.batches, len(commits)) == (3, 3)
    assert set(states(engine).values()) == {"expired"}
    records = [r for r in caplog.records if getattr(r, "action", None) == "sweep"]
    assert [r.counts["expire"] for r in records] == [2, 2, 1]
    # deadline order: the first batch holds the two oldest invitations, an hour late
    assert records[0].lateness_seconds == 3600.0
    assert [row.at for row in timer_history(engine)] == [DEADLINE + n * SECOND for n in range(5)]


def test_a_sweep_told_to_stop_ends_after_the_batch_in_flight(engine, five_invitations):
    batches = []
    swept = sweep(engine, DEADLINE + HOUR, batch=2,
                  stop=lambda: batches.append(1) is None and len(batches) > 1)
    assert swept.counts["expire"] == 2
    assert list(states(engine).values()).count("expired") == 2


def test_jobs_run_due_prints_what_it_changed(run_cli, two_timers):
    with freeze_time(DEADLINE):
        result = run_cli("jobs", "run-due")
    assert result.exit_code == 0
    assert result.output.split() == ["expire", "1", "unlock", "1"]


def test_jobs_run_due_with_json_prints_counts_per_event(run_cli, five_invitations):
    with freeze_time(DEADLINE + 2 * SECOND):
        first = run_cli("jobs", "run-due", "--batch-size", "2", json=True)
        again = run_cli("jobs", "run-due", json=True)
    assert json.loads(first.output) == {"expire": 3, "unlock": 0}
    assert json.loads(again.output) == {"expire": 0, "unlock": 0}


@pytest.mark.parametrize("option", [["--batch-size", "0"], ["--batch-size", "many"]])
def test_jobs_run_due_refuses_a_bad_batch_size(run_cli, option):
    result = run_cli("jobs", "run-due", *option, json=True)
    assert result.exit_code == 2
    assert json.loads(result.stderr)["error"]["code"] == "bad_input"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's page cache
def test_a_sweep_batch_gets_a_wide_sqlite_page_cache_and_gives_it_back(
        engine, two_timers, monkeypatch):
    """A batch's pages fit in its cache (no spilling to the WAL beside a large backlog), and
    a long-running daemon's pooled connection does not keep that memory between batches."""
    import shoplink.jobs.sweep as sweeping

    during = []
    real_apply_due = sweeping.apply_due

    def apply_due(session, *args, **kwargs):
        during.append(session.execute(sa.text("PRAGMA cache_size")).scalar())
        return real_apply_due(session, *args, **kwargs)

    monkeypatch.setattr(sweeping, "apply_due", apply_due)
    with engine.connect() as connection:
        usual = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    with freeze_time(DEADLINE):
        assert sweep(engine, utc_now()).total == 2
    assert during and set(during) == {-sweeping.BATCH_CACHE_KIB}
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == usual
    assert states(engine) == {two_timers["expire"]: "expired", two_timers["unlock"]: "unlinkable"}
