"""`shoplink account add|import|search`: the account directory from the command line."""

from __future__ import annotations

import json

import pytest

from tests.acceptance.cli_support import data_of, error_of, refused_cleanly, snapshot

ACCOUNT_KEYS = {"username", "nickname", "email", "region", "status"}


def test_an_account_is_added_with_every_field_and_a_leading_at(run_cli):
    account = data_of(run_cli("account", "add", "@alice.b_1", "--nickname", "Alice Ünïcode",
                              "--email", "alice@example.com", "--region", "gb",
                              "--birth-date", "2000-02-29", "--status", "banned", json=True))
    assert ACCOUNT_KEYS <= set(account)
    assert account | {} == {**account, "username": "alice.b_1", "nickname": "Alice Ünïcode",
                            "email": "alice@example.com", "region": "GB", "status": "banned"}
    plain = run_cli("account", "add", "bob")
    assert plain.stdout == "account @bob added\n"
    bob = data_of(run_cli("account", "search", "bob", json=True))[0]
    assert (bob["region"], bob["status"], bob["email"], bob["nickname"]) == (
        "US", "active", None, None)


@pytest.mark.parametrize("args", [
    ("account", "add", "a"),
    ("account", "add", "x" * 25),
    ("account", "add", "Alice"),
    ("account", "add", "bad-name"),
    ("account", "add", "carol", "--region", "Narnia"),
    ("account", "add", "carol", "--email", "not-an-email"),
    ("account", "add", "carol", "--birth-date", "2000-13-01"),
    ("account", "add", "carol", "--birth-date", "yesterday"),
    ("account", "add", "carol", "--status", "frozen"),
    ("account", "add", "carol", "--nickname", "n" * 31),
    ("account", "add", "carol", "--nickname", "\ufdfa" * 30),
    ("account", "add", "alice"),
    ("account", "add", "@alice"),
], ids=["1-char", "25-chars", "uppercase", "dash", "region", "email", "birth-month",
        "birth-word", "status", "nickname-31", "nickname-normalising-long", "duplicate",
        "duplicate-with-at"])
def test_a_bad_account_is_refused_with_exit_2_and_nothing_written(
        run_cli, database_url, make_account, args):
    make_account("alice")
    refused_cleanly(run_cli, database_url, args, 2, "bad_input")


def test_import_adds_and_updates_accounts_from_csv(run_cli, make_account, tmp_path):
    make_account("alice", nickname="Old Name", email="old@example.com")
    file = tmp_path / "accounts.csv"
    file.write_text("username,nickname,email,region,birth_date,status\n"
                    "alice,New Name,,,,banned\n"
                    "bob,Bob B,bob@example.com,gb,1990-05-01,\n"
                    "@carol,,,,,\n")
    assert data_of(run_cli("account", "import", str(file), json=True)) == {
        "added": 2, "updated": 1}
    alice, = data_of(run_cli("account", "search", "alice", json=True))
    assert (alice["nickname"], alice["email"], alice["status"]) == (
        "New Name", "old@example.com", "banned")
    bob, = data_of(run_cli("account", "search", "bob", json=True))
    assert (bob["region"], bob["email"], bob["status"]) == ("GB", "bob@example.com", "active")
    assert run_cli("account", "import", str(file)).stdout == "0 added, 3 updated\n"


def test_import_adds_and_updates_accounts_from_json_lines(run_cli, make_account, tmp_path):
    make_account("alice")
    file = tmp_path / "accounts.jsonl"
    file.write_text('{"username": "alice", "nickname": "Alice A"}\n\n'
                    '{"username": "dan", "email": "dan@example.com", "region": "DE"}\n')
    assert data_of(run_cli("account", "import", str(file), json=True)) == {
        "added": 1, "updated": 1}
    assert data_of(run_cli("account", "search", "alice a", json=True))[0]["username"] == "alice"
    assert data_of(run_cli("account", "search", "dan", json=True))[0]["region"] == "DE"


@pytest.mark.parametrize(("name", "content", "line"), [
    ("bad.csv", "username,nickname\nzed,Zed\nyan,Yan\nBAD NAME,x\nxu,Xu\n", 4),
    ("bad.csv", "username,region\nzed,US\nyan,USA\n", 3),
    ("bad.csv", "username,nickname\nzed,Zed,extra\n", 2),
    ("bad.csv", "nickname\nZed\n", 1),
    ("bad.csv", "username,colour\nzed,red\n", 2),
    ("bad.csv", "username,nickname\nzed,Zed\nbig," + "x" * 200_000 + "\n", 3),
    ("bad.jsonl", '{"username": "zed"}\n{"username": "yan", "email": "nope"}\n', 2),
    ("bad.jsonl", '{"username": "zed"}\n\n{"username": "yan"\n', 3),
    ("bad.jsonl", '{"username": "zed"}\n["yan"]\n', 2),
    ("bad.jsonl", '{"username": "zed", "birth_date": "1990-02-30"}\n', 1),
    ("bad.jsonl", '{"username": "zed", "status": 3}\n', 1),
    ("bad.jsonl", '{"username": "zed"}\n{"username": "yan", "email": "y\\u0000@x.io"}\n', 2),
], ids=["csv-username", "csv-region", "csv-extra-column", "csv-no-username-column",
        "csv-unknown-field", "csv-field-over-limit", "jsonl-email", "jsonl-broken-json",
        "jsonl-not-an-object",
        "jsonl-birth-date", "jsonl-not-text", "jsonl-nul-in-email"])
def test_import_with_one_bad_line_writes_nothing_and_names_the_line(
        run_cli, database_url, make_account, tmp_path, name, content, line):
    make_account("zed", nickname="Before")
    file = tmp_path / name
    file.write_text(content)
    error = refused_cleanly(run_cli, database_url, ("account", "import", str(file)),
                            2, "bad_input")
    assert error["message"].startswith(f"line {line}: "), error["message"]


def test_import_of_a_missing_file_is_bad_input(run_cli, database_url, tmp_path):
    error = refused_cleanly(run_cli, database_url,
                            ("account", "import", str(tmp_path / "none.csv")), 2, "bad_input")
    assert "none.csv" in error["message"]


@pytest.fixture
def directory(make_account):
    make_account("anna", nickname="Zed Fan")
    make_account("ann", nickname="Annie")
    make_account("annabel", nickname="Ann")
    make_account("bo.ann", nickname="ANN")
    make_account("zed", nickname="anne-marie")


def test_search_puts_exact_matches_first_then_prefixes_case_insensitively(run_cli, directory):
    found = [a["username"] for a in data_of(run_cli("account", "search", "ANN", json=True))]
    assert found[:3] == ["ann", "annabel", "bo.ann"]  # username, then nicknames, exactly
    assert sorted(found[3:]) == ["anna", "zed"]  # then the prefixes
    assert data_of(run_cli("account", "search", "@Zed", json=True))[0]["username"] == "zed"
    nick = [a["username"] for a in data_of(run_cli("account", "search", "zed f", json=True))]
    assert nick == ["anna"]


def test_search_stops_at_the_limit_and_prints_a_table(run_cli, directory):
    assert len(data_of(run_cli("account", "search", "ann", "--limit", "2", json=True))) == 2
    lines = run_cli("account", "search", "ann", "--limit", "1").stdout.splitlines()
    assert lines[0].split() == ["username", "nickname", "email", "region", "status"]
    assert lines[1].split()[0] == "ann" and len(lines) == 2
    assert data_of(run_cli("account", "search", "nobody", json=True)) == []
    assert run_cli("account", "search", "nobody").stdout == "(no matching accounts)\n"


def test_a_blank_search_is_bad_input(run_cli, database_url, directory):
    refused_cleanly(run_cli, database_url, ("account", "search", "   "), 2, "bad_input")


@pytest.mark.parametrize("limit", ["many", "0", "99999999999999999999"])
def test_a_limit_that_is_not_1_to_10000_is_a_usage_error_with_the_error_document(
        run_cli, database_url, directory, limit):
    before = snapshot(database_url)
    result = run_cli("account", "search", "ann", "--limit", limit, json=True)
    assert result.exit_code == 2
    assert error_of(result)["code"] == "bad_input"
    assert "--limit" in json.dumps(error_of(result))
    assert snapshot(database_url) == before
