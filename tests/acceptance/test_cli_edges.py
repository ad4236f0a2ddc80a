"""Edges a new user's trial found: missing databases and drivers, odd input, pasted secrets."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from shoplink.cli.main import cli
from tests.acceptance.cli_support import data_of, refused_cleanly

READS = [("shop", "list"), ("shop", "show", "1"), ("account", "search", "bob"),
         ("link", "list"), ("link", "show", "1"), ("marketing", "1"), ("official", "show", "1"),
         ("product", "list", "1"), ("showcase", "list", "1"), ("token", "list"),
         ("events",)]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("args", READS, ids=[" ".join(a) for a in READS])
def test_a_read_in_a_folder_without_a_database_creates_none_and_says_so(args, tmp_path,
                                                                        monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPLINK_DATABASE_URL", raising=False)
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr == ("error: no database file shoplink.db: run `shoplink db upgrade` "
                             "there to create one, or give --db URL or "
                             "SHOPLINK_DATABASE_URL\n")
    assert list(tmp_path.iterdir()) == []


def test_a_write_still_creates_the_sqlite_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPLINK_DATABASE_URL", raising=False)
    assert invoke("shop", "add", "Acme").exit_code == 0
    assert invoke("shop", "list").exit_code == 0
    assert (tmp_path / "shoplink.db").exists()


def test_a_postgresql_url_without_its_driver_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    result = invoke("--db", "postgresql://u:s3cret@127.0.0.1/db", "shop", "list")
    assert result.exit_code == 2
    assert "pip install 'shoplink[postgres]'" in result.stderr
    assert "s3cret" not in result.output and "***" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_birth_date_in_the_future_is_bad_input_and_writes_nothing(run_cli, database_url):
    error = refused_cleanly(run_cli, database_url,
                            ("account", "add", "kid", "--birth-date", "9999-12-31"), 2,
                            "bad_input")
    assert "after today" in error["message"]


def test_a_deeply_nested_json_line_is_bad_input_naming_its_line(run_cli, database_url,
                                                               tmp_path):
    file = tmp_path / "deep.jsonl"
    file.write_text('{"username": "ann"}\n{"x": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    error = refused_cleanly(run_cli, database_url, ("account", "import", str(file)), 2,
                            "bad_input")
    assert error["message"].startswith("line 2: ")


def test_a_byte_that_is_not_utf8_is_bad_input_naming_its_line(run_cli, database_url, tmp_path):
    file = tmp_path / "bad.csv"
    file.write_bytes(b"username,nickname\nann,Ann\nbob,B\xffb\n")
    error = refused_cleanly(run_cli, database_url, ("account", "import", str(file)), 2,
                            "bad_input")
    assert error["message"].startswith("line 3: not UTF-8")


def test_an_error_quotes_only_a_short_prefix_of_huge_input(run_cli, database_url):
    huge = "x" * 100_000
    error = refused_cleanly(run_cli, database_url, ("account", "add", huge), 2, "bad_input")
    assert len(error["message"]) < 200
    assert "100000 characters" in error["message"]


def test_token_revoke_takes_the_whole_token_and_never_prints_its_secret(run_cli, make_shop,
                                                                         database_url):
    make_shop("Acme")
    issued = data_of(run_cli("token", "issue", "--shop", "Acme", json=True))
    token_id, secret = issued["token"].split(".", 1)
    wrong = run_cli("token", "revoke", f"{token_id}.not-the-secret")
    assert wrong.exit_code == 3 and "not-the-secret" not in wrong.output
    result = run_cli("token", "revoke", issued["token"])
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    assert result.stdout.startswith(f"token {token_id} of seller:Acme revoked at ")
    [listed] = data_of(run_cli("token", "list", json=True))
    assert listed["revoked_at"] is not None


def test_absent_values_are_null_in_json(run_cli):
    run_cli("account", "add", "quiet")
    [found] = data_of(run_cli("account", "search", "quiet", json=True))
    assert found["nickname"] is None and found["email"] is None


@pytest.mark.parametrize("link_id", ["2147483648", "9223372036854775808", "1" + "0" * 30])
def test_a_link_id_beyond_any_column_is_not_found(run_cli, database_url, link_id):
    refused_cleanly(run_cli, database_url, ("link", "show", link_id), 3, "not_found")
    refused_cleanly(run_cli, database_url, ("link", "cancel", link_id), 3, "not_found")
