"""The CLI's edges: where the database URL comes from, the schema check, and every failure
mapped to one line or one error document, the spec's exit code, and no secret on screen."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from shoplink.cli.main import cli
from shoplink.workflows.schema import HEAD_REVISION
from tests.acceptance.cli_support import data_of, error_of
from tests.conftest import ADMIN_URL, _admin_engine

PASSWORD = "s3cr3t-pw"


def invoke(*args: str, env: dict[str, str | None] | None = None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def assert_clean(result) -> None:
    assert "Traceback" not in result.output
    assert PASSWORD not in result.output


def test_version_and_help_need_no_database():
    assert invoke("--version").stdout.startswith("shoplink, version ")
    help_text = invoke("--help").stdout
    for command in ("account", "db", "demo", "link", "marketing", "official", "shop"):
        assert f"  {command} " in help_text


@pytest.mark.parametrize("args", [("--bogus", "shop", "list"), ("--db",), (),
                                  ("nope",), ("shop", "add"), ("shop", "list", "extra")],
                         ids=["unknown-global-option", "db-without-url", "no-command",
                              "unknown-command", "missing-argument", "extra-argument"])
def test_usage_errors_exit_2_with_the_error_document_under_json(args, tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    human = invoke(*(["--db", db] if args != ("--db",) else []), *args)
    assert human.exit_code == 2 and "Error: " in human.stderr
    result = invoke("--json", *(["--db", db] if args != ("--db",) else []), *args)
    assert_clean(result)
    assert result.exit_code == 2
    assert error_of(result)["code"] == "bad_input"


@pytest.mark.parametrize("url", [f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/shoplink",
                                 f"postgresql+psycopg://u:{PASSWORD}@host.invalid/db"],
                         ids=["unreachable-port", "unknown-host"])
def test_an_unreachable_database_is_exit_1_without_the_password(url):
    human = invoke("--db", url, "shop", "list")
    assert_clean(human)
    assert human.exit_code == 1
    assert human.stderr.startswith("error: cannot use the database at ")
    assert "***" in human.stderr and human.stderr.count("\n") == 1
    machine = invoke("--json", "--db", url, "shop", "list")
    assert_clean(machine)
    assert machine.exit_code == 1 and error_of(machine)["code"] == "internal"
    debug = invoke("--debug", "--db", url, "shop", "list")
    assert PASSWORD not in debug.output and "Traceback" in debug.stderr


def test_a_missing_postgresql_database_is_exit_1_without_the_password(postgres_database):
    url = sa.engine.make_url(ADMIN_URL).set(password=PASSWORD, database="no_such_database_x")
    raw = url.render_as_string(hide_password=False)
    result = invoke("--json", "--db", raw, "shop", "list")
    assert_clean(result)
    assert result.exit_code == 1
    assert "no_such_database_x" in error_of(result)["message"]


@pytest.mark.parametrize("url", ["mysql://root:pw@localhost/db", "not a url", "://"],
                         ids=["unsupported", "words", "empty-scheme"])
def test_a_bad_database_url_is_bad_input(url):
    result = invoke("--json", "--db", url, "shop", "list")
    assert_clean(result)
    assert result.exit_code == 2 and error_of(result)["code"] == "bad_input"


@pytest.fixture
def empty_postgres(postgres_database):
    """A PostgreSQL database nobody has migrated, reached with a password in its URL."""
    name = f"shoplink_empty_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(ADMIN_URL).set(database=name, password=PASSWORD).render_as_string(
        hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgresql_refuses_an_unmigrated_database_until_db_upgrade(empty_postgres):
    refused = invoke("--json", "--db", empty_postgres, "shop", "add", "Acme")
    assert_clean(refused)
    assert refused.exit_code == 2
    assert "shoplink db upgrade" in error_of(refused)["message"]
    upgraded = invoke("--db", empty_postgres, "db", "upgrade")
    assert_clean(upgraded)
    assert upgraded.exit_code == 0 and f"to {HEAD_REVISION}" in upgraded.stdout
    assert "***" in upgraded.stdout
    assert invoke("--db", empty_postgres, "shop", "add", "Acme").exit_code == 0
    again = data_of(invoke("--json", "--db", empty_postgres, "db", "upgrade"))
    assert again["from"] == again["to"] == HEAD_REVISION


def test_sqlite_upgrades_itself_in_the_working_directory_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("shop", "add", "Acme", env={"SHOPLINK_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shoplink.db'}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
            == HEAD_REVISION
        assert connection.execute(sa.text("SELECT name FROM shops")).scalar() == "Acme"
    engine.dispose()


def test_the_environment_names_the_database_and_db_overrides_it(tmp_path):
    env_db = f"sqlite:///{tmp_path / 'env.db'}"
    flag_db = f"sqlite:///{tmp_path / 'flag.db'}"
    env = {"SHOPLINK_DATABASE_URL": env_db}
    assert invoke("shop", "add", "FromEnv", env=env).exit_code == 0
    assert invoke("--db", flag_db, "shop", "add", "FromFlag", env=env).exit_code == 0
    assert [s["name"] for s in data_of(invoke("--json", "shop", "list", env=env))] == ["FromEnv"]
    assert [s["name"] for s in data_of(invoke("--json", "--db", flag_db, "shop", "list"))] == [
        "FromFlag"]
    broken = {"SHOPLINK_DATABASE_URL": "mysql://x@y/z"}
    assert invoke("--db", flag_db, "shop", "list", env=broken).exit_code == 0


def test_an_unexpected_failure_is_exit_1_internal_and_a_traceback_only_with_debug(
        run_cli, monkeypatch):
    from shoplink.workflows import shops

    def explode(*_args, **_kwargs):
        raise RuntimeError("something broke")

    monkeypatch.setattr(shops, "list_shops", explode)
    human = run_cli("shop", "list")
    assert human.exit_code == 1
    assert human.stderr == ("error: unexpected failure: RuntimeError "
                            "(run with --debug for details)\n")
    machine = run_cli("shop", "list", json=True)
    assert machine.exit_code == 1 and error_of(machine)["code"] == "internal"
    debug = CliRunner().invoke(cli, ["--debug", "--db", "sqlite://", "shop", "list"])
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr and "RuntimeError: something broke" in debug.stderr


def test_db_upgrade_on_a_current_database_says_so(run_cli):
    assert data_of(run_cli("db", "upgrade", json=True))["to"] == HEAD_REVISION
    assert f"already at {HEAD_REVISION}" in run_cli("db", "upgrade").stdout
