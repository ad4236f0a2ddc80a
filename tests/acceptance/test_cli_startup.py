"""Start-up cost: `--help` imports no database or scheduler library, ordinary commands
never load Alembic or APScheduler while the schema is current (SPEC performance notes), and
a read such as the Marketing accounts tab loads only what it shows (issue 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"sqlalchemy", "alembic", "apscheduler", "statemachine", "httpx", "standardwebhooks"}
PROBE = """
import json, sys
from shoplink.cli.main import cli
try:
    cli(sys.argv[1:], prog_name="shoplink")
    code = 0
except SystemExit as exit:
    code = exit.code
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(%r)))
modules = sorted(name for name in sys.modules if name.startswith(("shoplink.", "sqlalchemy.")))
with open(%r, "w") as out:
    json.dump({"code": code, "loaded": loaded, "modules": modules}, out)
"""


def probe(tmp_path: Path, *args: str) -> dict:
    """Run `shoplink ARGS` in a fresh interpreter: its exit code, the heavy libraries loaded,
    and every shoplink and SQLAlchemy module loaded."""
    report = tmp_path / f"probe-{os.getpid()}-{len(list(tmp_path.iterdir()))}.json"
    code = PROBE % (json.dumps(sorted(HEAVY)), str(report))
    env = {**os.environ, "SHOPLINK_DATABASE_URL": "sqlite:///" + str(tmp_path / "unused.db")}
    subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, check=False,
                   capture_output=True, timeout=60)
    return json.loads(report.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("args", [("--help",), ("--version",), ("link", "--help"),
                                  ("shop", "add", "--help"), ("demo", "--help"),
                                  ("webhook", "add", "--help")],
                         ids=lambda a: " ".join(a))
def test_help_and_version_import_no_database_or_scheduler_library(tmp_path, args):
    result = probe(tmp_path, *args)
    assert (result["code"], result["loaded"]) == (0, [])
    assert not (tmp_path / "unused.db").exists()


@pytest.mark.slow
@pytest.mark.parametrize("args", [("shop", "list"), ("link", "list"),
                                  ("account", "search", "ann")], ids=lambda a: " ".join(a))
def test_ordinary_commands_do_not_load_alembic_or_apscheduler_on_a_current_schema(
        tmp_path, database_url, args):
    result = probe(tmp_path, "--db", database_url, *args)
    assert result["code"] == 0
    assert not {"alembic", "apscheduler"} & set(result["loaded"])


# What the Marketing accounts tab does not use: the link machine (python-statemachine) and
# the commands' module, the tables it never reads, and another backend's SQLAlchemy dialect.
OFF_THE_READ_PATH = {"shoplink.workflows.links", "shoplink.workflows.machine",
                     "shoplink.workflows.rules", "shoplink.workflows.models_access",
                     "shoplink.workflows.models_operations", "shoplink.workflows.models_showcase",
                     "shoplink.workflows.models_webhooks"}


@pytest.mark.slow
def test_the_marketing_tab_loads_neither_the_link_machine_nor_tables_it_does_not_show(
        tmp_path, database_url, run_cli):
    run_cli("shop", "add", "Acme")
    result = probe(tmp_path, "--db", database_url, "marketing", "Acme")
    assert result["code"] == 0
    assert not {"alembic", "apscheduler", "statemachine", "httpx"} & set(result["loaded"])
    assert not OFF_THE_READ_PATH & set(result["modules"])
    other_dialect = "postgresql" if database_url.startswith("sqlite") else "sqlite"
    assert f"sqlalchemy.dialects.{other_dialect}" not in result["modules"]


@pytest.mark.slow
def test_the_installed_console_script_answers_help():
    script = Path(sys.executable).with_name("shoplink")
    if not script.exists():
        pytest.fail(f"the console script is not installed next to {sys.executable}")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: shoplink [OPTIONS] COMMAND")


def test_help_lists_every_command_with_its_own_summary():
    """`--help` lists commands from a table, without importing them: it must not drift."""
    import click

    from shoplink.cli.main import COMMANDS, cli

    context = click.Context(cli)
    for name, (_, summary) in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None, name
        assert command.get_short_help_str(limit=500) == summary, name


GC_PROBE = """
import gc, json, sys
from shoplink.cli import main
from shoplink.workflows import db, uow

seen = {}
make_engine, start_work = db.make_engine, uow.UnitOfWork.__init__

def opening(*args, **kwargs):
    seen["collecting while opening the database"] = gc.isenabled()
    return make_engine(*args, **kwargs)

def working(self, *args, **kwargs):
    seen.setdefault("collecting while working", gc.isenabled())
    seen.setdefault("start-up objects frozen", gc.get_freeze_count() > 0)
    start_work(self, *args, **kwargs)

db.make_engine, uow.UnitOfWork.__init__ = opening, working
sys.argv = ["shoplink", *sys.argv[1:]]
try:
    main.main()
finally:
    print(json.dumps(seen))
"""


@pytest.mark.slow
def test_the_console_script_skips_garbage_collection_only_until_it_opens_the_database(
        database_url, run_cli):
    """Start-up's imports make only long-lived objects, so collecting them is wasted (about
    a tenth of a command's time); the command's own work, a daemon's too, is collected."""
    run_cli("shop", "add", "Acme")
    done = subprocess.run([sys.executable, "-c", GC_PROBE, "--db", database_url, "marketing",
                           "Acme"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "collecting while opening the database": False,
        "collecting while working": True,
        "start-up objects frozen": True,
    }
