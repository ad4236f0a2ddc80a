"""Logs, shell completion and --version, as an operator meets them."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from shoplink.cli.main import cli
from tests.conftest import T0

SHOPLINK = str(Path(sys.executable).with_name("shoplink"))


@pytest.fixture(autouse=True)
def quiet_logging_afterwards():
    """A command configures the root logger; put it back for the tests that follow."""
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if type(h).__name__ == "_Installed"]:
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_logs_carry_the_action_link_event_and_lateness_of_each_transition(
        make_shop, make_account, run_cli):
    make_shop("Acme")
    make_account("alice")
    with freeze_time(T0):
        created = run_cli("--log-format", "json", "--log-level", "info", "link", "new", "Acme",
                          "alice")
    assert created.exit_code == 0
    lines = json_lines(created.stderr)
    assert [(x["action"], x["link_id"], x["event"]) for x in lines] == [
        ("transition", 1, "search"), ("transition", 1, "verify"), ("transition", 1, "invite")]
    assert all(x["lateness_seconds"] == 0 and x["level"] == "INFO" for x in lines)
    assert lines[-1]["to_state"] == "invited" and lines[-1]["actor"] == "seller"


def test_a_refused_transition_is_not_logged_as_done(make_shop, make_account, run_cli):
    make_shop("Acme")
    make_account("alice")
    make_account("bob")
    run_cli("link", "new", "Acme", "alice")
    refused = run_cli("--log-format", "json", "--log-level", "info", "link", "accept", "1",
                      "--as", "bob")
    assert refused.exit_code == 4
    assert not [line for line in refused.stderr.splitlines() if line.startswith("{")]


def test_commands_log_nothing_by_default(make_shop, make_account, run_cli):
    make_shop("Acme")
    make_account("alice")
    result = run_cli("link", "new", "Acme", "alice")
    assert result.exit_code == 0 and result.stderr == ""


def test_log_options_come_from_the_environment_too_and_bad_values_exit_2():
    runner = CliRunner(env={"SHOPLINK_LOG_FORMAT": "yaml"})
    result = runner.invoke(cli, ["workflow", "diagram"])
    assert result.exit_code == 2 and "yaml" in result.stderr


@pytest.mark.parametrize("shell, marker", [
    ("bash", "complete -o nosort -F _shoplink_completion shoplink"),
    ("zsh", "#compdef shoplink"),
    ("fish", "complete --no-files --command shoplink"),
])
def test_shell_completion_scripts_are_produced(shell, marker):
    done = subprocess.run([SHOPLINK], env={"_SHOPLINK_COMPLETE": f"{shell}_source"},
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout


def test_bash_completion_completes_commands():
    done = subprocess.run([SHOPLINK], env={"_SHOPLINK_COMPLETE": "bash_complete",
                                           "COMP_WORDS": "shoplink sta", "COMP_CWORD": "1"},
                          capture_output=True, text=True, timeout=30, check=False)
    assert "plain,status" in done.stdout.splitlines()


def test_version_is_printed_without_touching_a_database(tmp_path):
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--version"])
    assert result.exit_code == 0
    assert result.output.startswith("shoplink, version ")
    assert list(tmp_path.iterdir()) == []
