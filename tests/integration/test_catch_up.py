"""Time never depends on the daemon: reads catch up overdue timers, counts use deadlines.

No daemon runs in these tests; only the commands themselves move the links.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shoplink.workflows import rules
from shoplink.workflows.clock import iso
from shoplink.workflows.links import list_links, new_link, show_link
from shoplink.workflows.marketing import marketing_accounts
from shoplink.workflows.models import Link, Shop
from shoplink.workflows.shops import show_shop
from tests.conftest import T0
from tests.integration.flows import DAY, codes, linked, raw_link, refused, stored_states

HOUR = timedelta(hours=1)
EXPIRES = T0 + 48 * HOUR


@pytest.fixture
def acme(make_shop, make_account):
    make_shop("Acme")
    return [make_account(f"user{n}")["username"] for n in range(1, 6)]


def test_showing_a_link_expires_an_overdue_invitation_dated_at_its_deadline(acme, uow):
    link = new_link(uow(), "Acme", "user1", T0)
    shown = show_link(uow(), link["id"], EXPIRES + 2 * HOUR)
    assert (shown["state"], shown["ended_at"]) == ("expired", iso(EXPIRES))
    expire = shown["history"][-1]
    assert (expire["event"], expire["from_state"], expire["to_state"], expire["actor"]) == (
        "expire", "invited", "expired", "system")
    assert (expire["at"], expire["recorded_at"]) == (iso(EXPIRES), iso(EXPIRES + 2 * HOUR))
    again = show_link(uow(), link["id"], EXPIRES + 3 * HOUR)
    assert again["history"] == shown["history"]


def test_showing_a_link_unlocks_it_once_its_24_hours_have_passed(acme, uow):
    link = linked(uow, "Acme", "user1", T0)
    assert show_link(uow(), link["id"], T0 + DAY - HOUR)["state"] == "linked"
    shown = show_link(uow(), link["id"], T0 + 3 * DAY)
    assert shown["state"] == "unlinkable"
    assert shown["ended_at"] is None
    unlock = shown["history"][-1]
    assert (unlock["event"], unlock["at"], unlock["recorded_at"]) == (
        "unlock", iso(T0 + DAY), iso(T0 + 3 * DAY))


@pytest.mark.parametrize("shop_ref", ["Acme", None], ids=["one-shop", "all-shops"])
def test_listing_links_shows_and_filters_by_their_state_at_now(acme, uow, shop_ref):
    invited = new_link(uow(), "Acme", "user1", T0)
    accepted = linked(uow, "Acme", "user2", T0 + HOUR)
    later = EXPIRES + HOUR
    states = {row["id"]: row["state"] for row in list_links(uow(), later, shop_ref=shop_ref)}
    assert states == {invited["id"]: "expired", accepted["id"]: "unlinkable"}
    expired = list_links(uow(), later, shop_ref=shop_ref, states=["expired"])
    assert [row["id"] for row in expired] == [invited["id"]]
    assert stored_states(uow) == states


def test_the_marketing_tab_drops_expired_invitations_and_shows_unlocked_links(acme, uow):
    new_link(uow(), "Acme", "user1", T0)
    linked(uow, "Acme", "user2", T0)
    new_link(uow(), "Acme", "user3", T0 + DAY)
    rows = marketing_accounts(uow(), "Acme", EXPIRES)
    assert [(r["account"], r["state"]) for r in rows] == [("user2", "unlinkable"),
                                                         ("user3", "invited")]
    assert rows[1]["expires_at"] == iso(T0 + DAY + 48 * HOUR)


def test_the_shop_counts_slots_and_window_at_now(acme, uow):
    new_link(uow(), "Acme", "user1", T0)
    linked(uow, "Acme", "user2", T0)
    new_link(uow(), "Acme", "user3", T0 + DAY)
    shop = show_shop(uow(), "Acme", EXPIRES)
    assert shop["marketing_accounts"] == 2
    assert shop["links_in_180_days"] == 2
    assert shop["next_window_release"] == iso(T0 + DAY + 48 * HOUR)
    assert shop["links_by_state"] == {"expired": 1, "unlinkable": 1, "invited": 1}


def test_counts_treat_overdue_invitations_by_their_deadline_before_any_sweep(acme, uow):
    for name in acme[:4]:
        new_link(uow(), "Acme", name, T0)
    with uow() as work:
        shop_id = work.session.execute(sa.select(Shop.id)).scalar_one()
        def slots_used(at):
            return work.session.execute(sa.select(sa.func.count()).where(
                Link.shop_id == shop_id, rules.holds_slot(at))).scalar_one()

        assert slots_used(EXPIRES - HOUR) == 4
        assert slots_used(EXPIRES) == 0
        assert len(rules.window_releases(work.session, "shop_id", shop_id, EXPIRES)) == 0
    assert set(stored_states(uow).values()) == {"invited"}


def test_an_account_invitations_from_other_shops_stop_counting_at_their_expiry(
        make_shop, make_account, uow):
    make_account("alice")
    shops = [make_shop()["name"] for _ in range(11)]
    for shop in shops[:10]:
        new_link(uow(), shop, "alice", T0)
    assert codes(refused(lambda: new_link(uow(), shops[10], "alice", EXPIRES - HOUR))) == [
        "link_change_limit"]
    assert new_link(uow(), shops[10], "alice", EXPIRES)["state"] == "invited"
    states = sorted(stored_states(uow).values())
    assert states == ["invited"] * 11 + ["rejected"]  # the ten other shops were never swept


def test_a_refusal_still_keeps_the_timers_it_caught_up(acme, uow):
    links = [linked(uow, "Acme", name, T0) for name in acme[:4]]
    error = refused(lambda: new_link(uow(), "Acme", "user5", T0 + DAY + HOUR))
    assert codes(error) == ["marketing_account_limit"]
    for link in links:
        assert raw_link(uow, link["id"]) == ("unlinkable", 5)
