"""`account update` and import: identity verification, bans that keep links, the official
account's nickname, region moves, and the Business upgrade on the first link."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shoplink.workflows.accounts import import_accounts, search_accounts, update_account
from shoplink.workflows.audit import list_entries
from shoplink.workflows.errors import BadInput, NotFound
from shoplink.workflows.links import accept_link, invite_link, new_link, show_link, unlink_link
from shoplink.workflows.outbox import read_events
from shoplink.workflows.shops import set_official
from tests.conftest import T0
from tests.integration.flows import DAY, SECOND, codes, linked, refused

IDENTITY = "@ava has not passed identity verification"


def account(uow, username):
    [found] = [a for a in search_accounts(uow(), username) if a["username"] == username]
    return found


def test_an_unverified_account_is_ineligible_at_verify(make_shop, make_account, uow):
    make_shop("Acme")
    make_account("ava", identity_verified=False)
    error = refused(lambda: new_link(uow(), "Acme", "ava", T0))
    assert [(v.code, v.message) for v in error.violations] == [("account_ineligible", IDENTITY)]


def test_losing_verification_is_refused_again_at_invite_and_at_accept(make_shop, make_account,
                                                                      uow):
    make_shop("Acme")
    make_account("ava")
    make_account("ben")
    verified = new_link(uow(), "Acme", "ava", T0, invite=False)
    invited = new_link(uow(), "Acme", "ben", T0)
    update_account(uow(), "ava", {"identity_verified": False}, T0)
    update_account(uow(), "ben", {"identity_verified": False}, T0)
    assert codes(refused(lambda: invite_link(uow(), verified["id"], T0))) == [
        "account_ineligible"]
    error = refused(lambda: accept_link(uow(), invited["id"], "ben", T0))
    assert error.message == "@ben has not passed identity verification"
    update_account(uow(), "ben", {"identity_verified": True}, T0)
    assert accept_link(uow(), invited["id"], "ben", T0)["state"] == "linked"


def test_a_banned_account_keeps_its_links_but_cannot_accept_and_its_invitation_expires(
        make_shop, make_account, uow):
    make_shop("Acme")
    make_account("ava")
    make_account("ben")
    kept = linked(uow, "Acme", "ava", T0)
    invited = new_link(uow(), "Acme", "ben", T0)
    for name in ("ava", "ben"):
        assert update_account(uow(), name, {"status": "banned"}, T0)["changed"] == ["status"]
    assert show_link(uow(), kept["id"], T0)["state"] == "linked"
    error = refused(lambda: accept_link(uow(), invited["id"], "ben", T0))
    assert (codes(error), error.message) == (["account_ineligible"], "@ben is banned")
    expires = T0 + timedelta(hours=48)
    assert show_link(uow(), invited["id"], expires - SECOND)["state"] == "invited"
    assert show_link(uow(), invited["id"], expires)["state"] == "expired"


def test_linking_makes_a_business_account_once_and_for_good(make_shop, make_account, uow):
    make_shop("Acme")
    make_shop("Bolt")
    make_account("ava")
    assert account(uow, "ava")["business"] is False
    first = linked(uow, "Acme", "ava", T0)
    assert account(uow, "ava")["business"] is True
    unlink_link(uow(), first["id"], T0 + DAY)
    assert account(uow, "ava")["business"] is True
    linked(uow, "Bolt", "ava", T0 + 2 * DAY)
    upgrades = [e for e in read_events(uow(), 0, 100) if e["type"] == "account.business_upgraded"]
    assert [(e["account"], e["shop_id"], e["actor"], e["details"]) for e in upgrades] == [
        ("ava", 1, "account:ava", {"link_id": first["id"]})]
    [entry] = list_entries(uow(), username="ava")
    assert (entry["action"], entry["changes"]) == (
        "business upgrade", {"business": {"from": False, "to": True}})


def test_an_invitation_alone_does_not_make_a_business_account(make_shop, make_account, uow):
    make_shop("Acme")
    make_account("ava")
    new_link(uow(), "Acme", "ava", T0)
    assert account(uow, "ava")["business"] is False


def test_the_official_accounts_nickname_must_keep_matching_the_shop(make_shop, make_account,
                                                                    uow):
    make_shop("Sunny Socks")
    make_account("sunny.socks", nickname="Sunny Socks")
    set_official(uow(), "Sunny Socks", "sunny.socks", T0)
    error = refused(lambda: update_account(uow(), "sunny.socks", {"nickname": "Sunny"}, T0))
    assert codes(error) == ["official_name_mismatch"]
    view = update_account(uow(), "sunny.socks", {"nickname": "SUNNY socks!"}, T0)
    assert view["nickname"] == "SUNNY socks!"
    assert search_accounts(uow(), "sunny socks!")[0]["username"] == "sunny.socks"


def test_an_account_cannot_move_region_while_its_links_hold_slots(make_shop, make_account,
                                                                  uow):
    make_shop("Acme")
    make_account("ava")
    link = new_link(uow(), "Acme", "ava", T0)
    error = refused(lambda: update_account(uow(), "ava", {"region": "GB"}, T0))
    assert codes(error) == ["region_change_blocked"]
    assert f"link {link['id']} ('Acme', @ava, invited)" in error.message
    expires = T0 + timedelta(hours=48)
    assert update_account(uow(), "ava", {"region": "GB"}, expires)["region"] == "GB"


def test_every_change_is_audited_with_old_and_new_values(make_account, uow):
    make_account("ava", email="ava@example.com")
    update_account(uow(), "ava", {"email": "", "birth_date": "2000-02-29", "status": "banned",
                                  "nickname": "Ava"}, T0 + DAY, actor="operator")
    [entry] = list_entries(uow(), username="ava")
    assert (entry["at"], entry["actor"], entry["name"]) == (
        "2026-03-03T12:00:00Z", "operator", "@ava")
    assert entry["changes"] == {
        "email": {"from": "ava@example.com", "to": None},
        "birth_date": {"from": None, "to": "2000-02-29"},
        "status": {"from": "active", "to": "banned"},
        "nickname": {"from": "", "to": "Ava"},
    }


@pytest.mark.parametrize("fields, message", [
    ({}, "nothing to update"),
    ({"nickname": "x" * 31}, "the limit is 30"),
    ({"email": "not-an-email"}, "invalid email"),
    ({"region": "Narnia"}, "invalid region"),
    ({"region": ""}, "--region must not be empty"),
    ({"status": "asleep"}, "invalid status"),
    ({"status": ""}, "--status must not be empty"),
    ({"birth_date": "1990-13-01"}, "invalid birth date"),
    ({"username": "other"}, "a username cannot change"),
])
def test_bad_input_is_refused_as_at_account_add_and_writes_nothing(make_account, uow, fields,
                                                                   message):
    make_account("ava", email="ava@example.com")
    with pytest.raises(BadInput, match=message):
        update_account(uow(), "ava", fields, T0)
    assert account(uow, "ava")["email"] == "ava@example.com"
    assert list_entries(uow()) == []


def test_an_unknown_account_is_not_found(uow):
    with pytest.raises(NotFound):
        update_account(uow(), "nobody", {"status": "banned"}, T0)


def test_import_sets_identity_and_defaults_to_verified(make_account, uow, tmp_path):
    make_account("ava")
    make_account("eve", identity_verified=False)
    path = tmp_path / "accounts.csv"
    path.write_text("username,identity_verified\nava,no\nben,\ncleo,false\ndan,true\neve,\n")
    assert import_accounts(uow(), path, T0) == {"added": 3, "updated": 2}
    verified = {name: account(uow, name)["identity_verified"]
                for name in ("ava", "ben", "cleo", "dan", "eve")}
    assert verified == {"ava": False, "ben": True, "cleo": False, "dan": True, "eve": False}
    [entry] = list_entries(uow(), username="ava")
    assert (entry["action"], entry["changes"]) == (
        "import", {"identity_verified": {"from": True, "to": False}})


def test_import_refuses_a_bad_identity_value_naming_its_line(uow, tmp_path):
    path = tmp_path / "accounts.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [
        {"username": "ava", "identity_verified": True},
        {"username": "ben", "identity_verified": "maybe"}]) + "\n")
    with pytest.raises(BadInput, match="line 2: invalid identity_verified 'maybe'"):
        import_accounts(uow(), path, T0)
    assert search_accounts(uow(), "ava") == []


def test_import_keeps_the_official_accounts_nickname_rule_naming_its_line(make_shop,
                                                                          make_account, uow,
                                                                          tmp_path):
    make_shop("Acme")
    make_account("acme", nickname="Acme")
    set_official(uow(), "Acme", "acme", T0)
    path = tmp_path / "accounts.csv"
    path.write_text("username,nickname\nnew.one,New\nacme,Someone Else\n")
    error = refused(lambda: import_accounts(uow(), path, T0))
    assert codes(error) == ["official_name_mismatch"]
    assert error.message.startswith("line 3: ")
    assert search_accounts(uow(), "new.one") == []
