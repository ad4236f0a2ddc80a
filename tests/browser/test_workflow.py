"""The seed's whole workflow by clicks, as two people: the seller in Seller Center and the
account holder in the TikTok app, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from shoplink.workflows.accounts import add_account
from shoplink.workflows.shops import add_shop
from tests.browser.conftest import on_every_backend, sign_in


@on_every_backend
def test_a_seller_links_an_account_that_accepts_and_unlinks_it_a_day_later(site, person):
    add_shop(site.uow(), "Acme", site.clock.now)
    add_account(site.uow(), {"username": "alice", "nickname": "Alice Reyes",
                             "email": "alice@example.com"}, site.clock.now)
    add_account(site.uow(), {"username": "alicia", "nickname": "Ali"}, site.clock.now)
    seller, holder = person(), person()

    sign_in(seller, "seller", site.token(shop="Acme"))
    seller.get_by_role("link", name="Linked TikTok accounts").first.click()
    expect(seller.get_by_role("link", name="Official account")).to_be_visible()
    seller.get_by_role("link", name="Link new marketing account").click()
    seller.get_by_label("Username or nickname").fill("ali")
    seller.get_by_role("button", name="Search").click()
    seller.get_by_label(re.compile(r"@alice\b")).check()
    seller.get_by_role("button", name="Next").click()

    criteria = seller.locator(".criteria li")
    expect(criteria).to_have_count(6)
    expect(seller.locator(".criteria li.pass")).to_have_count(6)
    expect(seller.locator(".criteria [data-code]")).to_have_count(0)
    seller.get_by_role("button", name="Send invitation").click()
    expect(seller.get_by_role("heading", name="Invitation sent to @alice")).to_be_visible()
    expect(seller.get_by_text("2026-03-04 12:00 UTC")).to_be_visible()
    expect(seller.get_by_text("(in 48 hours)")).to_be_visible()

    site.clock.advance(hours=1)
    sign_in(holder, "app", site.token(account="alice"))
    invitation = holder.locator(".invitation")
    expect(invitation.get_by_role("heading", name="Acme")).to_be_visible()
    expect(invitation).to_contain_text(re.compile(r"Sent\s*2026-03-02 12:00 UTC \(1 hour ago\)"))
    expect(invitation).to_contain_text(
        re.compile(r"Expires\s*2026-03-04 12:00 UTC \(in 47 hours\)"))
    holder.get_by_role("button", name="Accept").click()
    expect(holder.get_by_role("status")).to_have_text("You are now a marketing account of Acme.")
    holder.get_by_role("link", name="Linked shops").click()
    expect(holder.get_by_role("heading", name="Acme")).to_be_visible()

    seller.get_by_role("link", name="Marketing accounts").click()
    row = seller.locator("tr", has_text="@alice")
    expect(row).to_contain_text("Alice Reyes")
    expect(row).to_contain_text("alice@example.com")
    expect(row).to_contain_text("linked")
    expect(row.get_by_role("button", name="Unlink")).to_be_disabled()
    expect(row.locator(".hint", has_text="from")).to_have_text(
        "from 2026-03-03 13:00 UTC (in 24 hours)")
    expect(seller.locator(".slots")).to_have_text("1 of 4")

    site.clock.advance(days=1)
    seller.reload()
    row.get_by_role("button", name="Unlink").click()
    seller.get_by_role("button", name="Confirm").click()
    expect(seller.get_by_role("status")).to_have_text("@alice is no longer a marketing account.")
    expect(seller.locator("tr", has_text="@alice")).to_have_count(0)
    expect(seller.locator(".slots")).to_have_text("0 of 4")

    seller.goto("/seller/links/1")
    events = seller.locator(".history tbody tr td[data-label=Event]")
    expect(events).to_have_text(["search", "verify", "invite", "accept", "unlock", "unlink"])
