"""`shoplink status`: the operator's report, and a health check through its exit code."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner
from freezegun import freeze_time

from shoplink.cli.main import cli
from shoplink.workflows.links import accept_link, new_link
from shoplink.workflows.models import DaemonHeartbeat
from shoplink.workflows.schema import HEAD_REVISION
from tests.conftest import T0

TTL = timedelta(hours=48)


def status(run_cli, *args):
    result = run_cli("status", *args, json=True)
    return result.exit_code, json.loads(result.output)


def test_an_empty_current_database_is_healthy(run_cli):
    code, report = status(run_cli)
    assert code == 0
    assert report["healthy"] is True and report["reachable"] is True
    assert report["schema"]["current"] is True
    assert set(report["links"].values()) == {0} and "unlinkable" in report["links"]
    assert report["backlog"]["total"] == 0
    assert report["next_deadline"] is None and report["daemons"] == []


def test_counts_links_per_state_and_names_the_next_deadline(make_shop, make_account, uow,
                                                           run_cli):
    make_shop("Acme")
    for name in ("alice", "bob"):
        make_account(name)
    new_link(uow(), "Acme", "alice", T0)
    accept_link(uow(), new_link(uow(), "Acme", "bob", T0)["id"], "bob", T0 + timedelta(hours=1))
    with freeze_time(T0 + timedelta(hours=2)):
        code, report = status(run_cli)
    assert code == 0
    assert (report["links"]["invited"], report["links"]["linked"]) == (1, 1)
    assert report["next_deadline"] == "2026-03-03T13:00:00Z"  # bob's unlock
    assert report["next_deadline_in_seconds"] == 23 * 3600


def test_an_overdue_transition_older_than_the_threshold_makes_it_unhealthy(
        make_shop, make_account, uow, run_cli):
    make_shop("Acme")
    make_account("alice")
    new_link(uow(), "Acme", "alice", T0)
    with freeze_time(T0 + TTL + timedelta(seconds=300)):
        code, report = status(run_cli)
        assert status(run_cli, "--max-backlog-age", "600")[0] == 0
        text = run_cli("status")
    assert code == 6
    assert report["backlog"] == {"total": 1, "counts": {"expire": 1, "unlock": 0},
                                 "oldest_deadline": "2026-03-04T12:00:00Z",
                                 "oldest_age_seconds": 300.0}
    assert report["problems"] == ["backlog 300s old, more than 120s"]
    assert "UNHEALTHY" in text.output and "1 overdue (expire=1 unlock=0)" in text.output


def test_daemons_are_listed_running_silent_or_stopped_and_can_be_required(engine, run_cli):
    now = T0 + timedelta(hours=1)
    beats = [("a", now - timedelta(seconds=5), None), ("b", now - timedelta(seconds=90), None),
             ("c", now - timedelta(seconds=20), now - timedelta(seconds=20))]
    with engine.begin() as connection:
        connection.execute(sa.insert(DaemonHeartbeat), [
            {"host": host, "pid": 100 + i, "started_at": T0, "last_beat_at": beat,
             "stopped_at": stopped} for i, (host, beat, stopped) in enumerate(beats)])
    with freeze_time(now):
        code, report = status(run_cli, "--require-daemon")
        connection_free = status(run_cli)
    assert code == 0 and connection_free[0] == 0
    assert [(d["host"], d["state"]) for d in report["daemons"]] == [
        ("a", "running"), ("b", "silent"), ("c", "stopped")]
    with freeze_time(now + timedelta(minutes=1)):
        assert status(run_cli, "--require-daemon")[0] == 8


def test_a_missing_sqlite_file_is_unreachable_and_is_not_created(tmp_path):
    path = tmp_path / "absent.db"
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", "--json", "status"])
    assert result.exit_code == 5
    assert json.loads(result.output)["reachable"] is False
    assert not path.exists()


def test_an_unreachable_server_exits_5_without_its_password(tmp_path):
    url = "postgresql://postgres:s3cret@127.0.0.1:1/shoplink"
    result = CliRunner().invoke(cli, ["--db", url, "status"])
    assert result.exit_code == 5
    assert "unreachable" in result.output and "s3cret" not in result.output


def test_an_old_schema_exits_7_and_is_not_upgraded(tmp_path: Path):
    from shoplink.workflows.db import make_engine
    from shoplink.workflows.schema import current_revision
    from tests.integration.flows import migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0001")
    result = CliRunner().invoke(cli, ["--db", str(engine.url), "--json", "status"])
    assert result.exit_code == 7
    assert json.loads(result.output)["schema"] == {"revision": "0001", "expected": HEAD_REVISION,
                                                   "current": False}
    assert current_revision(engine) == "0001"
    engine.dispose()
