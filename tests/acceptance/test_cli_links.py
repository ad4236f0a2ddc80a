"""`shoplink link ...` and `shoplink marketing`: the link workflow by hand, happy and not."""

from __future__ import annotations

import pytest

from shoplink.workflows.clock import iso
from tests.acceptance import cli_support as cli
from tests.acceptance.cli_support import DAY, HOUR, SECOND, data_of, error_of, snapshot
from tests.conftest import T0

LINK_KEYS = {"id", "shop", "shop_id", "account", "nickname", "email", "state", "created_at",
             "invited_at", "expires_at", "linked_at", "unlockable_at", "ended_at"}
START = T0 + HOUR
# Tables a link refusal may touch: the link, its history, and the outbox fed by history.
LINK_TABLES = {"links", "link_events", "outbox_events"}


@pytest.fixture(autouse=True)
def frozen():
    with cli.clock(START) as frozen:
        yield frozen


@pytest.fixture
def acme(make_shop, make_account):
    make_shop("Acme")
    make_shop("Later", probation_until=T0 + 10 * DAY)
    for name in ("alice", "bob", "carol", "dan", "eve"):
        make_account(name, nickname=name.title(), email=f"{name}@example.com")
    make_account("zed", status="banned", region="GB")


def test_link_new_invites_and_prints_the_link_of_the_spec(run_cli, acme):
    link = data_of(run_cli("link", "new", "Acme", "@alice", json=True))
    assert LINK_KEYS <= set(link)
    assert {k: link[k] for k in ("id", "shop", "shop_id", "account", "nickname", "email",
                                 "state")} == {"id": 1, "shop": "Acme", "shop_id": 1,
                                               "account": "alice", "nickname": "Alice",
                                               "email": "alice@example.com", "state": "invited"}
    assert (link["created_at"], link["invited_at"], link["expires_at"]) == (
        iso(START), iso(START), iso(START + 2 * DAY))
    assert link["linked_at"] is link["unlockable_at"] is link["ended_at"] is None
    assert run_cli("link", "new", "1", "bob").stdout == (
        "link 2: @bob -> 'Acme' is invited (expires 2026-03-04 13:00:00 UTC)\n")


def test_no_invite_stops_at_verified_and_invite_sends_it_later(run_cli, acme):
    assert data_of(run_cli("link", "new", "Acme", "alice", "--no-invite",
                           json=True))["state"] == "verified"
    invited = data_of(run_cli("link", "invite", "1", json=True))
    assert invited["state"] == "invited" and invited["expires_at"] == iso(START + 2 * DAY)


def test_the_invitation_ttl_comes_from_the_environment(run_cli, acme, monkeypatch):
    monkeypatch.setenv("SHOPLINK_INVITATION_TTL_HOURS", "1.5")
    link = data_of(run_cli("link", "new", "Acme", "alice", json=True))
    assert link["expires_at"] == iso(START + 1.5 * HOUR)


@pytest.mark.parametrize("ttl", ["soon", "0", "-1", "nan", "inf", "1e10"])
def test_a_bad_invitation_ttl_is_bad_input_and_writes_nothing(
        run_cli, database_url, acme, monkeypatch, ttl):
    monkeypatch.setenv("SHOPLINK_INVITATION_TTL_HOURS", ttl)
    cli.refused_cleanly(run_cli, database_url, ("link", "new", "Acme", "alice"), 2, "bad_input")


def test_accept_then_unlink_after_the_lock_with_the_unlock_dated_at_its_deadline(
        run_cli, acme, frozen):
    run_cli("link", "new", "Acme", "alice")
    linked = data_of(run_cli("link", "accept", "1", "--as", "@alice", json=True))
    assert (linked["state"], linked["linked_at"], linked["unlockable_at"]) == (
        "linked", iso(START), iso(START + DAY))
    frozen.move_to(START + DAY + 5 * SECOND)
    assert run_cli("link", "unlink", "1").stdout == "link 1: @alice -> 'Acme' is unlinked\n"
    history = data_of(run_cli("link", "show", "1", json=True))["history"]
    assert [(h["event"], h["actor"], h["at"]) for h in history[-3:]] == [
        ("accept", "account:alice", iso(START)), ("unlock", "system", iso(START + DAY)),
        ("unlink", "seller", iso(START + DAY + 5 * SECOND))]


def test_decline_and_cancel_end_a_pending_link(run_cli, acme):
    run_cli("link", "new", "Acme", "alice")
    run_cli("link", "new", "Acme", "bob")
    declined = data_of(run_cli("link", "decline", "1", "--as", "alice", json=True))
    assert (declined["state"], declined["ended_at"]) == ("declined", iso(START))
    assert data_of(run_cli("link", "cancel", "2", json=True))["state"] == "cancelled"


def test_link_show_prints_the_whole_history(run_cli, acme):
    run_cli("link", "new", "Acme", "alice")
    link = data_of(run_cli("link", "show", "1", json=True))
    assert LINK_KEYS | {"history"} <= set(link)
    assert [(h["event"], h["from_state"], h["to_state"], h["actor"], h["at"])
            for h in link["history"]] == [
        ("search", None, "searched", "seller", iso(START)),
        ("verify", "searched", "verified", "seller", iso(START)),
        ("invite", "verified", "invited", "seller", iso(START))]
    human = run_cli("link", "show", "1").stdout
    assert "state          invited" in human
    assert "history:\nat                       event   from_state  to_state  actor   rules" in human


def test_link_list_is_newest_first_by_shop_and_by_repeated_state(run_cli, acme, make_shop):
    make_shop("Beta")
    run_cli("link", "new", "Acme", "alice")
    run_cli("link", "new", "Acme", "bob", "--no-invite")
    run_cli("link", "new", "Beta", "carol")
    run_cli("link", "cancel", "1")

    def ids(*args: str) -> list[int]:
        return [link["id"] for link in data_of(run_cli("link", "list", *args, json=True))]

    assert ids() == [3, 2, 1]
    assert ids("--shop", "Acme") == [2, 1]
    assert ids("--state", "invited") == [3]
    assert ids("--state", "verified", "--state", "cancelled") == [2, 1]
    assert ids("--shop", "Acme", "--state", "invited") == []
    assert ids("--limit", "1") == [3]
    lines = run_cli("link", "list").stdout.splitlines()
    assert lines[0].split()[:4] == ["id", "shop", "account", "state"]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]


def test_marketing_lists_the_links_holding_a_slot(run_cli, acme):
    for name in ("alice", "bob", "carol"):
        run_cli("link", "new", "Acme", name)
    run_cli("link", "accept", "1", "--as", "alice")
    run_cli("link", "cancel", "3")
    rows = data_of(run_cli("marketing", "Acme", json=True))
    assert [(r["account"], r["nickname"], r["email"], r["state"]) for r in rows] == [
        ("alice", "Alice", "alice@example.com", "linked"),
        ("bob", "Bob", "bob@example.com", "invited")]
    assert rows[0]["linked_at"] == iso(START) and rows[0]["unlockable_at"] == iso(START + DAY)
    human = run_cli("marketing", "Acme").stdout.splitlines()
    assert human[0].split() == ["id", "account", "nickname", "email", "state", "linked_at",
                                "unlockable_at"]
    assert run_cli("marketing", "Later").stdout == "(no marketing accounts)\n"


@pytest.mark.parametrize(("args", "exit_code", "code"), [
    (("link", "new", "Nope", "alice"), 3, "not_found"),
    (("link", "new", "Acme", "nobody"), 3, "not_found"),
    (("link", "new", "Acme", "Not-A-Name"), 2, "bad_input"),
    (("link", "show", "abc"), 2, "bad_input"),
    (("link", "show", "²"), 2, "bad_input"),
    (("link", "show", "99"), 3, "not_found"),
    (("link", "show", "999999999999999999"), 3, "not_found"),
    (("link", "invite", "x1"), 2, "bad_input"),
    (("link", "invite", "99"), 3, "not_found"),
    (("link", "invite", "1"), 4, "invalid_transition"),
    (("link", "accept", "1.5", "--as", "alice"), 2, "bad_input"),
    (("link", "accept", "99", "--as", "alice"), 3, "not_found"),
    (("link", "accept", "1", "--as", "bob"), 4, "not_invitee"),
    (("link", "accept", "1", "--as", "nobody"), 3, "not_found"),
    (("link", "accept", "1", "--as", "B@D"), 2, "bad_input"),
    (("link", "decline", "1", "--as", "bob"), 4, "not_invitee"),
    (("link", "decline", "one", "--as", "alice"), 2, "bad_input"),
    (("link", "cancel", "two"), 2, "bad_input"),
    (("link", "cancel", "99"), 3, "not_found"),
    (("link", "unlink", "1"), 4, "invalid_transition"),
    (("link", "unlink", "99"), 3, "not_found"),
    (("link", "list", "--shop", "Nope"), 3, "not_found"),
    (("link", "list", "--state", "bogus"), 2, "bad_input"),
    (("link", "list", "--state", "invited", "--state", "Linked"), 2, "bad_input"),
    (("marketing", "Nope"), 3, "not_found"),
], ids=lambda v: "-".join(v) if isinstance(v, tuple) else str(v))
def test_a_bad_link_command_exits_with_its_code_and_writes_nothing(
        run_cli, database_url, acme, args, exit_code, code):
    run_cli("link", "new", "Acme", "alice")
    cli.refused_cleanly(run_cli, database_url, args, exit_code, code)


def test_unlink_inside_the_24_hour_lock_is_refused_and_says_when(
        run_cli, database_url, acme, frozen):
    run_cli("link", "new", "Acme", "alice")
    run_cli("link", "accept", "1", "--as", "alice")
    frozen.move_to(START + DAY - SECOND)
    error = cli.refused_cleanly(run_cli, database_url, ("link", "unlink", "1"), 4,
                                "unlink_too_early")
    assert iso(START + DAY) in error["message"]
    assert run_cli("link", "unlink", "1").stderr == (
        "error: link 1 can be unlinked from 2026-03-03 13:00:00 UTC, "
        "24 hours after it was linked\n")


def test_cancel_of_a_linked_link_is_an_invalid_transition(run_cli, database_url, acme):
    run_cli("link", "new", "Acme", "alice")
    run_cli("link", "accept", "1", "--as", "alice")
    cli.refused_cleanly(run_cli, database_url, ("link", "cancel", "1"), 4, "invalid_transition")


@pytest.mark.parametrize("args", [("link", "accept", "1"), ("link", "new", "Acme"),
                                  ("link", "frobnicate", "1"), ("link", "show", "1", "2"),
                                  ("link", "list", "--limit", "0"),
                                  ("link", "list", "--limit", "99999999999999999999")],
                         ids=["accept-without-as", "new-without-account", "no-such-command",
                              "extra-argument", "limit-0", "limit-huge"])
def test_a_usage_error_gives_the_error_document_and_exit_2(run_cli, database_url, acme, args):
    run_cli("link", "new", "Acme", "alice")
    before = snapshot(database_url)
    human = run_cli(*args)
    assert human.exit_code == 2 and "Usage:" in human.stderr
    machine = run_cli(*args, json=True)
    assert machine.exit_code == 2
    assert error_of(machine)["code"] == "bad_input"
    assert snapshot(database_url) == before


def _written(before: dict, after: dict) -> dict[str, list[tuple]]:
    """The rows a command added or changed, table by table; other tables must be untouched."""
    for table in set(before) - LINK_TABLES:
        assert after[table] == before[table], table
    return {t: [row for row in after[t] if row not in before[t]] for t in LINK_TABLES & set(after)}


def test_a_refused_link_new_writes_only_the_rejected_link_and_its_history(
        run_cli, database_url, acme):
    before = snapshot(database_url)
    result = run_cli("link", "new", "Later", "zed", json=True)
    assert result.exit_code == 4
    error = error_of(result)
    assert error["code"] == "shop_in_probation"
    assert [r["code"] for r in error["rules"]] == ["shop_in_probation", "account_ineligible"]
    assert error["link"]["state"] == "rejected"
    written = _written(before, snapshot(database_url))
    assert [row[3] for row in written["links"]] == ["rejected"]
    assert [(row[2], row[4]) for row in written["link_events"]] == [
        ("search", "searched"), ("verify", "rejected")]
    human = run_cli("link", "new", "Later", "zed")
    assert human.exit_code == 4 and human.stderr.startswith("error: link 2 rejected: ")


def test_a_refused_accept_writes_only_the_expiry_it_caught_up(
        run_cli, database_url, acme, frozen):
    run_cli("link", "new", "Acme", "alice")
    frozen.move_to(START + 2 * DAY)
    before = snapshot(database_url)
    result = run_cli("link", "accept", "1", "--as", "alice", json=True)
    assert result.exit_code == 4
    assert error_of(result)["code"] == "invitation_expired"
    written = _written(before, snapshot(database_url))
    assert [row[3] for row in written["links"]] == ["expired"]
    events = [(row[2], row[3], row[4], row[5]) for row in written["link_events"]]
    assert events == [("expire", "invited", "expired", "system")]
    assert written["link_events"][0][6].replace(tzinfo=None) == (START + 2 * DAY).replace(
        tzinfo=None)
    again = snapshot(database_url)
    assert run_cli("link", "accept", "1", "--as", "alice").exit_code == 4
    assert snapshot(database_url) == again


def test_the_fifth_marketing_account_is_refused_with_the_limit(run_cli, database_url, acme):
    for name in ("alice", "bob", "carol", "dan"):
        assert run_cli("link", "new", "Acme", name).exit_code == 0
    result = run_cli("link", "new", "Acme", "eve", json=True)
    assert result.exit_code == 4
    assert error_of(result)["code"] == "marketing_account_limit"
    assert "rules" not in error_of(result)
