"""Every linking rule of SPEC section 3, by its code, through the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoplink.workflows.links import (
    accept_link,
    cancel_link,
    decline_link,
    invite_link,
    list_links,
    new_link,
    show_link,
    unlink_link,
)
from shoplink.workflows.models import Account, Shop
from shoplink.workflows.shops import set_official, show_official
from tests.conftest import T0
from tests.integration.flows import DAY, codes, linked, raw_link, refused, set_column

FULL = "shop 'Acme' already has 4 of 4 marketing accounts (invitations included)"


@pytest.fixture
def acme(make_shop, make_account):
    make_shop("Acme")
    return [make_account(f"user{n}")["username"] for n in range(1, 7)]


def test_a_fifth_marketing_account_is_refused_while_four_hold_a_slot(acme, uow):
    """Two invitations (invited), one link under its lock (linked), one past it (unlinkable)."""
    first = linked(uow, "Acme", acme[0], T0)
    second = linked(uow, "Acme", acme[1], T0 + DAY)
    for name in acme[2:4]:
        new_link(uow(), "Acme", name, T0 + DAY)
    error = refused(lambda: new_link(uow(), "Acme", acme[4], T0 + DAY + timedelta(hours=1)))
    assert codes(error) == ["marketing_account_limit"]
    assert error.violations[0].message == FULL
    held = {link["id"]: link["state"] for link in list_links(uow(), T0 + DAY, shop_ref="Acme")}
    assert held[first["id"]] == "unlinkable" and held[second["id"]] == "linked"


def test_an_accepted_invitation_never_finds_the_shop_full(acme, uow):
    invitations = [new_link(uow(), "Acme", name, T0) for name in acme[:4]]
    refused(lambda: new_link(uow(), "Acme", acme[4], T0))
    for link, name in zip(invitations, acme, strict=False):
        assert accept_link(uow(), link["id"], name, T0 + DAY)["state"] == "linked"


@pytest.mark.parametrize("end", ["decline", "cancel", "expire", "unlink"])
def test_an_invitation_or_link_that_ends_frees_its_slot(acme, uow, end):
    first = new_link(uow(), "Acme", acme[0], T0)["id"]
    when = T0 + timedelta(hours=1)
    for name in acme[1:4]:
        new_link(uow(), "Acme", name, when)
    if end == "decline":
        decline_link(uow(), first, acme[0], when)
    elif end == "cancel":
        cancel_link(uow(), first, when)
    elif end == "expire":
        when = T0 + timedelta(hours=48)
    else:
        accept_link(uow(), first, acme[0], T0)
        when = T0 + DAY
        unlink_link(uow(), first, when)
    assert new_link(uow(), "Acme", acme[4], when)["state"] == "invited"
    assert codes(refused(lambda: new_link(uow(), "Acme", acme[5], when))) == [
        "marketing_account_limit"]


@pytest.mark.parametrize("state", ["invited", "linked"])
def test_a_marketing_account_cannot_become_the_official_account(make_shop, make_account, uow,
                                                                state):
    make_shop("Acme Store!")
    make_account("acme_store", nickname="ACME store")
    link = new_link(uow(), "Acme Store!", "acme_store", T0)
    if state == "linked":
        accept_link(uow(), link["id"], "acme_store", T0)
    error = refused(lambda: set_official(uow(), "Acme Store!", "acme_store", T0))
    assert codes(error) == ["official_account_conflict"]
    assert "is a marketing account of shop 'Acme Store!'" in error.message
    assert show_official(uow(), "Acme Store!")["official_account"] is None


def test_the_official_account_cannot_become_a_marketing_account(make_shop, make_account, uow):
    make_shop("Acme Store!")
    make_account("acme_store", nickname="ACME store")
    shop = set_official(uow(), "Acme Store!", "acme_store", T0)
    assert shop["official_account"] == "acme_store"
    error = refused(lambda: new_link(uow(), "Acme Store!", "acme_store", T0))
    assert codes(error) == ["official_account_conflict"]
    assert error.violations[0].message == (
        "@acme_store is the official account of shop 'Acme Store!'")


def test_a_marketing_account_made_official_before_its_invitation_cannot_be_invited(
        make_shop, make_account, uow):
    make_shop("Acme")
    make_account("acme", nickname="Acme")
    verified = new_link(uow(), "Acme", "acme", T0, invite=False)
    set_official(uow(), "Acme", "acme", T0)
    error = refused(lambda: invite_link(uow(), verified["id"], T0))
    assert codes(error) == ["official_account_conflict"]
    assert raw_link(uow, verified["id"]) == ("verified", 2)


@pytest.mark.parametrize("username, nickname", [
    ("acme_store", "ACME store"), ("acme.store", "acme-store"), ("acmestore", "Acme Store"),
])
def test_the_official_account_matches_the_shop_name_ignoring_case_and_punctuation(
        make_shop, make_account, uow, username, nickname):
    make_shop("Acme Store!")
    make_account(username, nickname=nickname)
    assert set_official(uow(), "Acme Store!", username, T0)["official_account"] == username


@pytest.mark.parametrize("username, nickname", [
    ("acme_store", "Acme Shop"), ("acme_store2", "ACME store"), ("acme", "Acme"),
    ("acme_store", ""),
])
def test_an_official_account_whose_names_differ_from_the_shop_is_refused(
        make_shop, make_account, uow, username, nickname):
    make_shop("Acme Store!")
    make_account(username, nickname=nickname)
    error = refused(lambda: set_official(uow(), "Acme Store!", username, T0))
    assert codes(error) == ["official_name_mismatch"]
    assert "must both match the shop name 'Acme Store!'" in error.message


def test_a_shop_name_without_letters_or_digits_matches_no_account(make_shop, make_account,
                                                                   uow):
    make_shop("!!!")
    make_account("__", nickname="...")
    assert codes(refused(lambda: set_official(uow(), "!!!", "__", T0))) == [
        "official_name_mismatch"]


def test_every_reason_an_account_cannot_be_official_is_reported(make_shop, make_account, uow):
    make_shop("Acme")
    make_shop("Other")
    make_account("other", nickname="Other")
    set_official(uow(), "Other", "other", T0)
    new_link(uow(), "Acme", "other", T0)
    set_column(uow, Account, "other", status="deactivated")
    error = refused(lambda: set_official(uow(), "Acme", "other", T0))
    assert codes(error) == ["official_name_mismatch", "official_account_taken",
                            "official_account_conflict", "account_ineligible"]


def test_an_account_is_the_official_account_of_one_shop_at_most(make_shop, make_account, uow):
    make_shop("Acme Store!")
    make_shop("acme store")
    make_account("acme_store", nickname="ACME store")
    set_official(uow(), "Acme Store!", "acme_store", T0)
    error = refused(lambda: set_official(uow(), "acme store", "acme_store", T0))
    assert codes(error) == ["official_account_taken"]
    assert "already the official account of shop 'Acme Store!'" in error.message
    assert set_official(uow(), "Acme Store!", "acme_store", T0)["official_account"] == "acme_store"


def test_a_banned_account_cannot_become_official(make_shop, make_account, uow):
    make_shop("Acme")
    make_account("acme", nickname="Acme", status="banned")
    assert codes(refused(lambda: set_official(uow(), "Acme", "acme", T0))) == [
        "account_ineligible"]


@pytest.mark.parametrize("state", ["verified", "invited", "linked", "unlinkable"])
def test_an_account_with_an_open_link_to_the_shop_cannot_start_another(acme, uow, state):
    first = new_link(uow(), "Acme", "user1", T0, invite=state != "verified")
    if state in ("linked", "unlinkable"):
        accept_link(uow(), first["id"], "user1", T0)
    when = T0 + (2 * DAY if state == "unlinkable" else timedelta(0))
    error = refused(lambda: new_link(uow(), "Acme", "user1", when))
    assert codes(error) == ["already_linked"]
    assert error.violations[0].message == (
        f"@user1 already has link {first['id']} ({state}) to shop 'Acme'")


@pytest.mark.parametrize("end", ["decline", "cancel"])
def test_an_account_can_be_invited_again_once_its_link_has_ended(acme, uow, end):
    first = new_link(uow(), "Acme", "user1", T0)
    if end == "decline":
        decline_link(uow(), first["id"], "user1", T0)
    else:
        cancel_link(uow(), first["id"], T0)
    assert new_link(uow(), "Acme", "user1", T0)["state"] == "invited"


@pytest.mark.parametrize("fields, reason", [
    ({"status": "banned"}, "@carol is banned"),
    ({"status": "deactivated"}, "@carol is deactivated"),
    ({"region": "GB"}, "@carol is in region GB while shop 'Acme' is in US"),
    ({"birth_date": "2010-06-01"}, "@carol is under 18 until 2028-06-01"),
])
def test_an_ineligible_account_is_rejected_and_told_why(make_shop, make_account, uow, fields,
                                                        reason):
    make_shop("Acme")
    make_account("carol", **fields)
    error = refused(lambda: new_link(uow(), "Acme", "carol", T0))
    assert [(v.code, v.message) for v in error.violations] == [("account_ineligible", reason)]


def test_only_the_invited_account_answers_and_a_stranger_writes_nothing(acme, uow):
    link = new_link(uow(), "Acme", "user1", T0)
    for answer in (accept_link, decline_link):
        error = refused(lambda answer=answer: answer(uow(), link["id"], "@user2", T0))
        assert codes(error) == ["not_invitee"]
        assert error.message == f"link {link['id']} invites @user1, not @user2"
    assert raw_link(uow, link["id"]) == ("invited", 3)


def test_verification_reports_every_failed_rule_and_records_them_all(make_shop, make_account,
                                                                     uow):
    make_shop("Acme")
    make_account("acme", nickname="Acme")
    open_link = new_link(uow(), "Acme", "acme", T0, invite=False)
    set_official(uow(), "Acme", "acme", T0)
    set_column(uow, Shop, "Acme", probation_ends_at=T0 + 30 * DAY)
    set_column(uow, Account, "acme", status="banned", region="GB")
    error = refused(lambda: new_link(uow(), "Acme", "acme", T0 + DAY))
    expected = ["shop_in_probation", "official_account_conflict", "already_linked",
                "account_ineligible"]
    assert codes(error) == expected
    assert error.code == "shop_in_probation"
    assert "@acme is banned; @acme is in region GB while shop 'Acme' is in US" in error.message
    stored = show_link(uow(), error.link["id"], T0 + DAY)
    assert stored["state"] == "rejected"
    rules = stored["history"][-1]["details"]["rules"]
    assert [r["code"] for r in rules] == expected
    assert [r["message"] for r in rules] == [v.message for v in error.violations]
    assert show_link(uow(), open_link["id"], T0 + DAY)["state"] == "verified"


CHANGES = {
    "banned": (Account, "user1", {"status": "banned"}, "account_ineligible"),
    "moved": (Account, "user1", {"region": "GB"}, "account_ineligible"),
    "probation": (Shop, "Acme", {"probation_ends_at": T0 + 30 * DAY}, "shop_in_probation"),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_rules_are_checked_again_at_invite(acme, uow, change):
    model, key, values, code = CHANGES[change]
    verified = new_link(uow(), "Acme", "user1", T0, invite=False)
    set_column(uow, model, key, **values)
    error = refused(lambda: invite_link(uow(), verified["id"], T0))
    assert codes(error) == [code]
    assert raw_link(uow, verified["id"]) == ("verified", 2)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_rules_are_checked_again_at_accept(acme, uow, change):
    model, key, values, code = CHANGES[change]
    invited = new_link(uow(), "Acme", "user1", T0)
    set_column(uow, model, key, **values)
    error = refused(lambda: accept_link(uow(), invited["id"], "user1", T0))
    assert codes(error) == [code]
    assert raw_link(uow, invited["id"]) == ("invited", 3)


def test_a_verified_link_is_refused_at_invite_once_the_shop_has_filled_up(acme, uow):
    verified = [new_link(uow(), "Acme", name, T0, invite=False) for name in acme[:5]]
    for link in verified[:4]:
        invite_link(uow(), link["id"], T0)
    error = refused(lambda: invite_link(uow(), verified[4]["id"], T0))
    assert codes(error) == ["marketing_account_limit"]
    assert raw_link(uow, verified[4]["id"]) == ("verified", 2)


def test_a_pending_invitation_counts_toward_the_10_links_of_its_account(make_shop,
                                                                       make_account, uow):
    make_account("alice")
    shops = [make_shop()["name"] for _ in range(11)]
    for number, shop in enumerate(shops[:10]):
        link = new_link(uow(), shop, "alice", T0 + number * timedelta(minutes=1))
        if number >= 5:
            accept_link(uow(), link["id"], "alice", T0 + DAY)
    error = refused(lambda: new_link(uow(), shops[10], "alice", T0 + DAY))
    assert codes(error) == ["link_change_limit"]
    assert error.message.endswith(
        "(10 counted, 5 of them pending invitations); a slot frees up at 2026-08-30T12:00:00Z,"
        " or sooner if a pending invitation ends unanswered (the first expires at "
        "2026-03-04T12:00:00Z)")


def test_the_shop_and_the_account_limits_are_both_reported(make_shop, make_account, uow):
    make_shop("Acme")
    names = [make_account()["username"] for _ in range(10)] + ["alice"]
    make_account("alice")
    for name in names[:10]:
        link = linked(uow, "Acme", name, T0)
        unlink_link(uow(), link["id"], T0 + DAY)
    for _ in range(10):
        linked(uow, make_shop()["name"], "alice", T0)
    error = refused(lambda: new_link(uow(), "Acme", "alice", T0 + DAY))
    assert codes(error) == ["link_change_limit", "link_change_limit"]
    assert error.violations[0].message.startswith("shop 'Acme' is at its limit")
    assert error.violations[1].message.startswith("account @alice is at its limit")


def test_an_account_full_of_pending_invitations_is_told_a_slot_frees_only_when_one_ends(
        make_shop, make_account, uow):
    make_account("alice")
    shops = [make_shop()["name"] for _ in range(11)]
    for shop in shops[:10]:
        new_link(uow(), shop, "alice", T0)
    error = refused(lambda: new_link(uow(), shops[10], "alice", T0 + DAY))
    assert codes(error) == ["link_change_limit"]
    assert error.message.endswith(
        "account @alice is at its limit of 10 links in 180 days (10 counted, 10 of them "
        "pending invitations); a slot frees up only when a pending invitation ends "
        "unanswered (the first expires at 2026-03-04T12:00:00Z)")
