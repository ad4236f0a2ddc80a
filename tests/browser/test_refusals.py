"""Refusals in words with their rule codes: on the verify step (no Send invitation), in
the app (an expired invitation), and the 24-hour lock to the second."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from shoplink.workflows.accounts import add_account
from shoplink.workflows.links import accept_link, new_link
from shoplink.workflows.shops import add_shop
from tests.browser.conftest import sign_in
from tests.conftest import T0


def _full_shop(site) -> None:
    add_shop(site.uow(), "Acme", T0 - timedelta(days=1))
    for name in ("ann", "bea", "cat", "dee"):
        add_account(site.uow(), {"username": name}, T0 - timedelta(days=1))
        link = new_link(site.uow(), "Acme", name, T0 - timedelta(days=1))
        accept_link(site.uow(), link["id"], name, T0 - timedelta(days=1))
    add_account(site.uow(), {"username": "alice"}, T0)


SCENARIOS = {
    "shop_in_probation": lambda site: (
        add_shop(site.uow(), "Acme", T0, probation_until=T0 + timedelta(days=3)),
        add_account(site.uow(), {"username": "alice"}, T0)),
    "marketing_account_limit": _full_shop,
    "account_ineligible": lambda site: (
        add_shop(site.uow(), "Acme", T0),
        add_account(site.uow(), {"username": "alice", "birth_date": "2008-03-03"}, T0)),
}
WORDS = {
    "shop_in_probation": "in probation until 2026-03-05T12:00:00Z",
    "marketing_account_limit": "already has 4 of 4 marketing accounts",
    "account_ineligible": "@alice is under 18 until 2026-03-03",
}


@pytest.mark.parametrize("code", SCENARIOS)
def test_a_failed_rule_is_shown_on_the_verify_step_and_no_invitation_can_be_sent(
        site, person, code):
    SCENARIOS[code](site)
    seller = person()
    sign_in(seller, "seller", site.token(shop="Acme"))
    seller.goto("/seller/link-new?q=alice")
    seller.get_by_role("button", name="Next").click()

    failed = seller.locator(".criteria li.fail")
    expect(failed).to_have_count(1)
    expect(failed).to_have_attribute("data-code", code)
    expect(failed).to_contain_text("Fail")
    expect(failed).to_contain_text(WORDS[code])
    expect(seller.locator(".criteria li.pass")).to_have_count(5)
    expect(seller.get_by_role("button", name="Send invitation")).to_have_count(0)


def test_the_probation_banner_says_until_when(site, person):
    SCENARIOS["shop_in_probation"](site)
    seller = person()
    sign_in(seller, "seller", site.token(shop="Acme"))
    seller.goto("/seller/linked/marketing")
    banner = seller.locator(".banner")
    expect(banner).to_have_attribute("data-code", "shop_in_probation")
    expect(banner).to_contain_text("in probation until 2026-03-05 12:00 UTC (in 3 days)")


def test_an_invitation_that_expires_while_its_page_is_open_is_refused_in_words(site, person):
    add_shop(site.uow(), "Acme", T0)
    add_account(site.uow(), {"username": "alice"}, T0)
    link = new_link(site.uow(), "Acme", "alice", T0)
    holder = person()
    site.clock.now = T0 + timedelta(hours=48, seconds=-1)
    sign_in(holder, "app", site.token(account="alice"))
    expect(holder.get_by_text("(now)")).to_be_visible()  # expires in under a minute

    site.clock.now = T0 + timedelta(hours=48)  # the deadline: it has passed
    holder.get_by_role("button", name="Accept").click()
    refusal = holder.get_by_role("alert")
    expect(refusal).to_have_attribute("data-code", "invitation_expired")
    expect(refusal).to_have_text(f"the invitation of link {link['id']} expired at "
                                 "2026-03-04T12:00:00Z")
    expect(holder.get_by_text("No invitations are waiting for you.")).to_be_visible()


def test_unlink_is_offered_from_the_second_the_24_hour_lock_ends(site, person):
    add_shop(site.uow(), "Acme", T0)
    add_account(site.uow(), {"username": "alice"}, T0)
    link = new_link(site.uow(), "Acme", "alice", T0)
    accept_link(site.uow(), link["id"], "alice", T0)
    seller = person()
    site.clock.now = T0 + timedelta(hours=24, seconds=-1)
    sign_in(seller, "seller", site.token(shop="Acme"))
    seller.goto("/seller/linked/marketing")
    unlink = seller.get_by_role("button", name="Unlink")
    expect(unlink).to_be_disabled()
    seller.goto(f"/seller/links/{link['id']}/unlink")
    expect(seller.get_by_role("alert")).to_have_attribute("data-code", "unlink_too_early")
    expect(seller.get_by_role("button", name="Confirm")).to_have_count(0)

    site.clock.now = T0 + timedelta(hours=24)
    seller.goto("/seller/linked/marketing")
    expect(unlink).to_be_enabled()
