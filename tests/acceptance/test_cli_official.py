"""`shoplink official set|show`: the shop's one official account."""

from __future__ import annotations

import pytest

from shoplink.workflows.links import new_link
from tests.acceptance.cli_support import HOUR, clock, data_of, refused_cleanly
from tests.conftest import T0


@pytest.fixture(autouse=True)
def frozen():
    with clock(T0 + HOUR) as frozen:
        yield frozen


@pytest.fixture
def acme(make_shop, make_account):
    make_shop("Acme Store")
    make_shop("Other")
    make_account("acme.store", nickname="ACME store!")
    make_account("alice", nickname="Alice")


def test_the_official_account_is_set_and_shown(run_cli, acme):
    shop = data_of(run_cli("official", "set", "Acme Store", "@acme.store", json=True))
    assert shop["official_account"] == "acme.store" and shop["name"] == "Acme Store"
    shown = data_of(run_cli("official", "show", "1", json=True))
    assert shown["shop"]["official_account"] == "acme.store"
    assert shown["official_account"]["username"] == "acme.store"
    assert {"username", "nickname", "email", "region", "status"} <= set(shown["official_account"])
    assert run_cli("official", "show", "Acme Store").stdout.splitlines()[0] == (
        "@acme.store (ACME store!) is the official account of 'Acme Store'")
    listed = data_of(run_cli("shop", "list", json=True))
    assert [s["official_account"] for s in listed] == ["acme.store", None]


def test_a_shop_without_an_official_account_says_so(run_cli, acme):
    assert data_of(run_cli("official", "show", "Other", json=True))["official_account"] is None
    assert run_cli("official", "show", "Other").stdout.splitlines()[0] == (
        "shop 'Other' has no official account")


def test_setting_is_printed_as_a_sentence(run_cli, acme):
    result = run_cli("official", "set", "Acme Store", "acme.store")
    assert result.stdout == "@acme.store is the official account of 'Acme Store'\n"


@pytest.mark.parametrize(("args", "exit_code", "code"), [
    (("official", "set", "Acme Store", "alice"), 4, "official_name_mismatch"),
    (("official", "set", "Nope", "acme.store"), 3, "not_found"),
    (("official", "set", "Acme Store", "nobody"), 3, "not_found"),
    (("official", "set", "Acme Store", "Not A Name"), 2, "bad_input"),
    (("official", "show", "Nope"), 3, "not_found"),
], ids=["name-mismatch", "unknown-shop", "unknown-account", "bad-username", "show-unknown"])
def test_a_bad_official_command_exits_with_its_code_and_writes_nothing(
        run_cli, database_url, acme, args, exit_code, code):
    refused_cleanly(run_cli, database_url, args, exit_code, code)


def test_an_account_official_elsewhere_is_refused_with_every_rule_listed(
        run_cli, database_url, acme, make_shop, uow):
    make_shop("acme.STORE")
    assert run_cli("official", "set", "acme.STORE", "acme.store").exit_code == 0
    new_link(uow(), "Acme Store", "acme.store", T0)  # and it is a marketing link of Acme too
    error = refused_cleanly(run_cli, database_url, ("official", "set", "Acme Store",
                                                    "acme.store"), 4, "official_account_taken")
    assert [r["code"] for r in error["rules"]] == ["official_account_taken",
                                                   "official_account_conflict"]
    assert all(r["message"] for r in error["rules"])
