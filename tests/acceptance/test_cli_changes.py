"""`shop update`, `account update`, `official unset`, `token issue --expires-in`, `audit` and
`prune`, as an operator types them: each bad input one line, its exit code, nothing written."""

from __future__ import annotations

import pytest

from shoplink.workflows.links import new_link
from shoplink.workflows.outbox import last_event_id, save_position
from shoplink.workflows.shops import set_official
from tests.acceptance.cli_support import DAY, HOUR, SECOND, clock, data_of, refused_cleanly
from tests.conftest import T0


@pytest.fixture
def acme(run_cli, make_shop, make_account, uow):
    make_shop("Acme")
    make_account("acme", nickname="Acme")
    make_account("ava")
    set_official(uow(), "Acme", "acme", T0)
    return run_cli


def test_shop_update_renames_with_the_official_account_and_says_what_changed(acme):
    with clock(T0):
        human = acme("shop", "update", "Acme", "--name", "ACME!", "--no-probation")
    assert (human.exit_code, human.stdout) == (0, "shop 1 'ACME!': changed name\n")
    shown = data_of(acme("official", "show", "ACME!", json=True))["official_account"]
    assert shown["nickname"] == "ACME!"
    again = acme("shop", "update", "ACME!", "--region", "US")
    assert again.stdout == "shop 1 'ACME!': nothing changed\n"


@pytest.mark.parametrize("args, exit_code, code", [
    (("shop", "update", "Acme"), 2, "bad_input"),
    (("shop", "update", "Acme", "--name", ""), 2, "bad_input"),
    (("shop", "update", "Acme", "--region", "U1"), 2, "bad_input"),
    (("shop", "update", "Acme", "--probation-until", "soon"), 2, "bad_input"),
    (("shop", "update", "Acme", "--probation-until", "2027-01-01", "--no-probation"), 2,
     "bad_input"),
    (("shop", "update", "Nope", "--region", "GB"), 3, "not_found"),
    (("shop", "update", "Acme", "--name", "Bolt"), 4, "official_name_mismatch"),
    (("account", "update", "ava"), 2, "bad_input"),
    (("account", "update", "ava", "--status", "gone"), 2, "bad_input"),
    (("account", "update", "ava", "--birth-date", "01/02/2000"), 2, "bad_input"),
    (("account", "update", "ava", "--email", "ava@"), 2, "bad_input"),
    (("account", "update", "ava", "--nickname", "x" * 31), 2, "bad_input"),
    (("account", "update", "ava", "--region", ""), 2, "bad_input"),
    (("account", "update", "Not A Name", "--status", "banned"), 2, "bad_input"),
    (("account", "update", "nobody", "--status", "banned"), 3, "not_found"),
    (("account", "update", "acme", "--nickname", "Someone"), 4, "official_name_mismatch"),
    (("official", "unset", "Nope"), 3, "not_found"),
    (("token", "issue", "--shop", "Acme", "--expires-in", "tomorrow"), 2, "bad_input"),
    (("token", "issue", "--shop", "Acme", "--expires-in", "0m"), 2, "bad_input"),
    (("token", "issue", "--shop", "Acme", "--expires-in", "12"), 2, "bad_input"),
    (("token", "issue", "--shop", "Acme", "--expires-in", ""), 2, "bad_input"),
    (("audit", "--shop", "Acme", "--account", "ava"), 2, "bad_input"),
    (("audit", "--shop", "Nope"), 3, "not_found"),
    (("prune", "--older-than", "forever"), 2, "bad_input"),
])
def test_bad_input_not_found_and_refusals_exit_cleanly_and_write_nothing(
        acme, database_url, args, exit_code, code):
    refused_cleanly(acme, database_url, args, exit_code, code)


def test_a_region_change_while_links_hold_slots_exits_4_naming_them(acme, uow, database_url):
    link = new_link(uow(), "Acme", "ava", T0)
    with clock(T0 + HOUR):
        error = refused_cleanly(acme, database_url, ("shop", "update", "Acme", "--region", "GB"),
                                4, "region_change_blocked")
    assert error["message"] == (
        f"shop 'Acme' cannot move to region GB while links hold slots: link {link['id']} "
        "('Acme', @ava, invited); cancel or unlink them first")


def test_account_update_changes_identity_and_the_audit_shows_who_and_what(acme):
    with clock(T0 + DAY):
        result = acme("account", "update", "@ava", "--no-identity-verified", "--email",
                      "ava@example.com")
    assert result.stdout == "account @ava: changed email, identity_verified\n"
    view = data_of(acme("account", "search", "ava", json=True))[0]
    assert (view["identity_verified"], view["business"]) == (False, False)
    rows = data_of(acme("audit", "--account", "ava", json=True))
    assert [(r["at"], r["actor"], r["action"], r["changes"]) for r in rows] == [
        ("2026-03-03T12:00:00Z", "operator", "update",
         {"email": {"from": None, "to": "ava@example.com"},
          "identity_verified": {"from": True, "to": False}})]
    table = acme("audit").stdout.splitlines()
    assert table[0].split() == ["at", "subject", "name", "action", "actor", "changes"]
    assert "email - -> ava@example.com; identity_verified True -> False" in table[1]


def test_account_add_can_record_an_unverified_account(acme):
    data_of(acme("account", "add", "ben", "--no-identity-verified", json=True))
    with clock(T0):
        result = acme("link", "new", "Acme", "ben", json=True)
    assert result.exit_code == 4
    assert "@ben has not passed identity verification" in result.stderr


def test_official_unset_leaves_the_shop_without_one(acme):
    assert acme("official", "unset", "Acme").stdout == "shop 'Acme' has no official account\n"
    assert data_of(acme("shop", "show", "Acme", json=True))["official_account"] is None


def test_a_token_issued_to_expire_shows_its_expiry_and_list_shows_it(acme):
    with clock(T0):
        issued = data_of(acme("token", "issue", "--account", "ava", "--expires-in", "90d",
                              json=True))
        human = acme("token", "issue", "--shop", "Acme", "--expires-in", "30m")
    assert issued["expires_at"] == "2026-05-31T12:00:00Z"
    assert "for seller:Acme, expires 2026-03-02 12:30:00 UTC (shown once" in human.stdout
    rows = data_of(acme("token", "list", json=True))
    assert sorted(r["expires_at"] for r in rows) == ["2026-03-02T12:30:00Z",
                                                     "2026-05-31T12:00:00Z"]
    assert "expires_at" in acme("token", "list").stdout.splitlines()[0]


def test_prune_prints_what_it_removed_and_a_dry_run_what_it_would(acme, uow):
    new_link(uow(), "Acme", "ava", T0)
    save_position(uow(), "app", last_event_id(uow()), T0)
    with clock(T0 + 2 * DAY + SECOND):
        dry = acme("prune", "--older-than", "2d", "--dry-run")
        assert dry.stdout == ("would remove 0 webhook attempts, 0 webhook deliveries, "
                              "3 outbox events, 0 idempotency records "
                              "(older than 2026-03-02 12:00:01 UTC)\n")
        done = data_of(acme("prune", "--older-than", "2d", json=True))
        assert done["removed"] == {"webhook attempts": 0, "webhook deliveries": 0,
                                   "outbox events": 3, "idempotency records": 0}
        assert acme("prune", "--older-than", "2d").stdout.startswith(
            "removed 0 webhook attempts, 0 webhook deliveries, 0 outbox events")
