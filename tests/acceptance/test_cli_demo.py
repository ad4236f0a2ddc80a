"""`shoplink demo`: the whole workflow on a simulated clock, with every key moment shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from shoplink.cli.main import cli


def demo(*args: str, env: dict[str, str | None] | None = None):
    result = CliRunner().invoke(cli, [*args], env=env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def timeline() -> list[dict]:
    # The demo must ignore a configured database and a configured invitation TTL.
    result = demo("--json", "demo", env={"SHOPLINK_DATABASE_URL": "mysql://nowhere/db",
                                         "SHOPLINK_INVITATION_TTL_HOURS": "1"})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def moments(timeline: list[dict], event: str) -> list[dict]:
    return [m for m in timeline if m["event"].startswith(event)]


def test_the_timeline_is_an_array_of_moments_in_time_order(timeline):
    assert all(set(m) == {"at", "actor", "event", "result", "code", "link"} for m in timeline)
    assert [m["at"] for m in timeline] == sorted(m["at"] for m in timeline)
    assert timeline[0]["event"] == "shop add 'Sunny Socks'"
    assert moments(timeline, "official set")[0]["code"] is None


def test_four_accounts_are_linked_and_the_fifth_is_refused_by_the_limit(timeline):
    accepted = moments(timeline, "link accept")
    assert [m["actor"] for m in accepted[:4]] == ["account:ava", "account:ben", "account:cleo",
                                                   "account:dan"]
    assert all(" linked, unlockable from " in m["result"] for m in accepted[:4])
    fifth = moments(timeline, "link new @eve")[0]
    assert fifth["code"] == "marketing_account_limit"


def test_unlink_is_refused_inside_the_24_hour_lock_then_allowed(timeline):
    refused, allowed = moments(timeline, "link unlink 1")
    assert refused["code"] == "unlink_too_early"
    assert allowed["code"] is None and allowed["result"] == "link 1 @ava unlinked"
    unlock = next(m for m in timeline if m["event"] == "unlock" and m["link"] == 1)
    assert unlock["actor"] == "system"
    assert refused["at"] < unlock["at"] <= allowed["at"]


def test_an_invitation_left_unanswered_expires_at_48_hours(timeline):
    invited = moments(timeline, "link new @eve")[1]
    assert invited["code"] is None and " invited, expires " in invited["result"]
    expiry = next(m for m in timeline if m["event"] == "expire")
    assert (expiry["actor"], expiry["link"]) == ("system", invited["link"])
    waited = datetime.fromisoformat(expiry["at"]) - datetime.fromisoformat(invited["at"])
    assert waited == timedelta(hours=48)
    late = moments(timeline, f"link accept {invited['link']}")[0]
    assert late["code"] == "invitation_expired"
    assert expiry["at"] < late["at"]


def test_an_account_is_refused_until_its_identity_is_verified(timeline):
    refused, invited = moments(timeline, "link new @fay")
    assert refused["code"] == "account_ineligible"
    assert refused["result"].endswith("@fay has not passed identity verification")
    verified = moments(timeline, "account update @fay --identity-verified")[0]
    assert refused["at"] < verified["at"] < invited["at"]
    assert invited["code"] is None and " invited, expires " in invited["result"]


def test_a_rename_the_official_account_cannot_follow_is_refused_and_one_it_can_goes_through(
        timeline):
    refused, renamed = moments(timeline, "shop update --name")
    assert refused["code"] == "official_name_mismatch"
    assert renamed["code"] is None
    assert renamed["result"] == "shop renamed 'SUNNY SOCKS!'; @sunny.socks's nickname follows"


def test_the_human_timeline_is_an_aligned_table_in_utc():
    result = demo("demo")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("time (UTC)"))
    rows = lines[header + 1:lines.index("", header)]
    assert rows[0].startswith("2026-03-02 09:00  operator")
    assert len({line.index(line.split()[2]) for line in rows}) == 1  # the actor column lines up
    assert any("refused [marketing_account_limit]" in line for line in rows)
    assert "shoplink demo --keep DIR" in result.stdout.splitlines()[-1]


def test_keep_leaves_a_database_to_explore_and_refuses_to_overwrite_it(tmp_path):
    kept = tmp_path / "kept"
    shown = demo("demo", "--keep", str(kept))
    assert shown.exit_code == 0
    assert f"shoplink --db sqlite:///{kept / 'demo.db'} serve" in shown.stdout
    assert "/seller/login" in shown.stdout and "/app/login" in shown.stdout
    listed = demo("--json", "--db", f"sqlite:///{kept / 'demo.db'}", "link", "list")
    assert len(json.loads(listed.stdout)) == 8
    official = demo("--json", "--db", f"sqlite:///{kept / 'demo.db'}", "official", "show",
                    "SUNNY SOCKS!")
    assert json.loads(official.stdout)["official_account"]["nickname"] == "SUNNY SOCKS!"
    again = demo("--json", "demo", "--keep", str(kept))
    assert again.exit_code == 2
    assert json.loads(again.stderr)["error"]["code"] == "bad_input"


@pytest.mark.slow
def test_the_installed_demo_runs_in_a_couple_of_seconds(tmp_path):
    script = Path(sys.executable).with_name("shoplink")
    started = time.monotonic()
    result = subprocess.run([str(script), "demo"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "SHOPLINK_DATABASE_URL": ""})
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert "unlink_too_early" in result.stdout
    assert list(tmp_path.iterdir()) == []  # throwaway: nothing left behind
    assert elapsed < 10, f"the demo took {elapsed:.1f} s"
