"""`shoplink shop add|list|show`, as an operator types them."""

from __future__ import annotations

import pytest

from shoplink.workflows.links import accept_link, new_link
from tests.acceptance.cli_support import HOUR, clock, data_of, refused_cleanly
from tests.conftest import T0

SHOP_KEYS = {"id", "name", "region", "probation_ends_at", "official_account"}


def test_a_shop_is_added_with_its_region_and_probation_and_printed_as_the_spec_says(run_cli):
    shop = data_of(run_cli("shop", "add", "Acme", "--region", "gb", "--probation-until",
                           "2026-04-01T09:30:00+02:00", json=True))
    assert shop == {"id": 1, "name": "Acme", "region": "GB",
                    "probation_ends_at": "2026-04-01T07:30:00Z", "official_account": None}
    human = run_cli("shop", "add", "Beta")
    assert human.exit_code == 0
    assert human.stdout == "shop 2 'Beta' added (US)\n"


def test_shop_list_is_an_array_and_an_aligned_table(run_cli):
    assert data_of(run_cli("shop", "list", json=True)) == []
    assert run_cli("shop", "list").stdout == "(no shops)\n"
    run_cli("shop", "add", "Acme")
    run_cli("shop", "add", "Big Shop Name", "--region", "DE")
    shops = data_of(run_cli("shop", "list", json=True))
    assert [s["name"] for s in shops] == ["Acme", "Big Shop Name"]
    assert all(set(s) == SHOP_KEYS for s in shops)
    lines = run_cli("shop", "list").stdout.splitlines()
    assert lines[0].split() == ["id", "name", "region", "probation_ends_at", "official_account"]
    assert lines[2].startswith("2   Big Shop Name  DE")
    assert lines[0].index("region") == lines[1].index("US") == lines[2].index("DE")


def test_shop_show_counts_slots_the_180_day_window_and_links_by_state(
        run_cli, make_shop, make_account, uow):
    make_shop("Acme")
    for name in ("alice", "bob", "carol"):
        make_account(name)
    with clock(T0) as frozen:
        first = new_link(uow(), "Acme", "alice", T0)
        accept_link(uow(), first["id"], "alice", T0)
        new_link(uow(), "Acme", "bob", T0)
        new_link(uow(), "Acme", "carol", T0, invite=False)
        frozen.move_to(T0 + HOUR)
        shop = data_of(run_cli("shop", "show", "Acme", json=True))
        by_id = data_of(run_cli("shop", "show", "1", json=True))
        human = run_cli("shop", "show", "Acme").stdout
    assert SHOP_KEYS <= set(shop)
    assert shop == by_id
    assert shop["marketing_accounts"] == 2 and shop["marketing_account_limit"] == 4
    assert shop["links_in_180_days"] == 2 and shop["link_change_limit"] == 10
    assert shop["links_by_state"] == {"linked": 1, "invited": 1, "verified": 1}
    assert "marketing accounts  2 of 4" in human
    assert "links in 180 days   2 of 10" in human
    assert "links by state      invited 1, linked 1, verified 1" in human


def test_shop_show_reports_probation_in_utc(run_cli):
    with clock(T0):
        run_cli("shop", "add", "Acme", "--probation-until", "2026-03-03T00:00:00Z")
        assert "probation           until 2026-03-03 00:00:00 UTC" in run_cli(
            "shop", "show", "Acme").stdout
        assert data_of(run_cli("shop", "show", "Acme", json=True))["in_probation"] is True


@pytest.mark.parametrize(("args", "exit_code", "code"), [
    (("shop", "add", ""), 2, "bad_input"),
    (("shop", "add", "   "), 2, "bad_input"),
    (("shop", "add", "x" * 101), 2, "bad_input"),
    (("shop", "add", "Acme"), 2, "bad_input"),
    (("shop", "add", "New", "--region", "USA"), 2, "bad_input"),
    (("shop", "add", "New", "--region", "1A"), 2, "bad_input"),
    (("shop", "add", "New", "--probation-until", "next tuesday"), 2, "bad_input"),
    (("shop", "show", "Nope"), 3, "not_found"),
    (("shop", "show", "99"), 3, "not_found"),
    (("shop", "show", "²"), 3, "not_found"),
    (("shop", "show", "99999999999"), 3, "not_found"),
    (("shop", "add", "tab\tname"), 2, "bad_input"),
    (("shop", "add", "New", "--probation-until", "0001-01-01T00:00:00+14:00"), 2, "bad_input"),
], ids=["empty", "blank", "101-chars", "duplicate", "region-3-letters", "region-digit",
        "probation-not-a-time", "show-unknown-name", "show-unknown-id",
        "show-superscript-digit", "show-id-beyond-integer", "control-character",
        "probation-before-year-1"])
def test_a_bad_shop_command_exits_with_its_code_and_writes_nothing(
        run_cli, database_url, make_shop, args, exit_code, code):
    make_shop("Acme")
    error = refused_cleanly(run_cli, database_url, args, exit_code, code)
    assert "rules" not in error


def test_a_shop_name_of_100_characters_is_accepted(run_cli):
    assert data_of(run_cli("shop", "add", "x" * 100, json=True))["name"] == "x" * 100
