"""The Official account tab's form, a linked account's showcase, and declining in the app."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from shoplink.workflows.accounts import add_account
from shoplink.workflows.links import accept_link, new_link
from shoplink.workflows.products import add_product
from shoplink.workflows.shops import add_shop
from tests.browser.conftest import sign_in
from tests.conftest import T0


def test_the_official_account_form_explains_the_name_rule_and_refuses_next_to_the_field(
        site, person):
    add_shop(site.uow(), "Acme Toys", T0)
    add_account(site.uow(), {"username": "alice", "nickname": "Alice"}, T0)
    add_account(site.uow(), {"username": "acme.toys", "nickname": "ACME toys!"}, T0)
    seller = person()
    sign_in(seller, "seller", site.token(shop="Acme Toys"))
    seller.goto("/seller/linked/official")
    expect(seller.get_by_text("This shop has no official account yet.")).to_be_visible()
    expect(seller.locator("#name-rule")).to_contain_text("the same as the shop name, Acme Toys")

    seller.get_by_label("Username").fill("alice")
    seller.get_by_role("button", name="Set official account").click()
    refusal = seller.locator("#username-error")
    expect(refusal).to_have_attribute("data-code", "official_name_mismatch")
    expect(refusal).to_contain_text("must both match the shop name")
    expect(seller.get_by_label("Username")).to_have_attribute("aria-invalid", "true")

    seller.get_by_label("Username").fill("@acme.toys")
    seller.get_by_role("button", name="Set official account").click()
    expect(seller.get_by_role("status")).to_have_text("@acme.toys is now the official account.")
    expect(seller.locator(".facts")).to_contain_text("ACME toys!")


def test_a_seller_adds_and_removes_products_on_a_linked_accounts_showcase(site, person):
    add_shop(site.uow(), "Acme", T0)
    add_account(site.uow(), {"username": "alice"}, T0)
    add_product(site.uow(), "Acme", "SOCK-1", T0, title="Striped socks", price="9.50")
    add_product(site.uow(), "Acme", "HAT-2", T0, title="Wool hat")
    link = new_link(site.uow(), "Acme", "alice", T0)
    accept_link(site.uow(), link["id"], "alice", T0 + timedelta(minutes=1))
    seller = person()
    sign_in(seller, "seller", site.token(shop="Acme"))
    seller.goto("/seller/linked/marketing")
    seller.get_by_role("link", name="@alice").click()

    seller.get_by_label("Product").select_option(label="Striped socks (SOCK-1)")
    seller.get_by_role("button", name="Add to showcase").click()
    expect(seller.get_by_role("status")).to_have_text("Added SOCK-1 to the showcase.")
    expect(seller.locator(".showcase li")).to_have_count(1)
    expect(seller.locator(".showcase")).to_contain_text("Striped socks")
    expect(seller.get_by_label("Product").locator("option")).to_have_text(["Wool hat (HAT-2)"])

    seller.get_by_role("button", name="Remove Striped socks").click()
    expect(seller.get_by_role("status")).to_have_text("Removed SOCK-1 from the showcase.")
    expect(seller.get_by_text("Nothing on show yet.")).to_be_visible()


def test_an_account_declines_and_the_seller_sees_the_slot_free_again(site, person):
    add_shop(site.uow(), "Acme", T0)
    add_account(site.uow(), {"username": "alice"}, T0)
    link = new_link(site.uow(), "Acme", "alice", T0)
    holder, seller = person(), person()
    sign_in(holder, "app", site.token(account="alice"))
    holder.get_by_role("button", name="Decline").click()
    expect(holder.get_by_role("status")).to_have_text("You declined the invitation of Acme.")
    expect(holder.get_by_text("No invitations are waiting for you.")).to_be_visible()
    holder.get_by_role("link", name="Linked shops").click()
    expect(holder.get_by_text("You are not a marketing account of any shop yet.")).to_be_visible()

    sign_in(seller, "seller", site.token(shop="Acme"))
    seller.goto(f"/seller/links/{link['id']}")
    expect(seller.get_by_role("heading", level=1)).to_contain_text("declined")
    seller.goto("/seller/linked/marketing")
    expect(seller.locator(".slots")).to_have_text("0 of 4")


def test_bad_input_is_shown_next_to_its_field(site, person):
    add_shop(site.uow(), "Acme", T0)
    seller = person()
    sign_in(seller, "seller", site.token(shop="Acme"))
    seller.goto("/seller/linked/official")
    seller.get_by_label("Username").fill("Not A Username!")
    seller.get_by_role("button", name="Set official account").click()
    expect(seller.locator("#username-error")).to_have_attribute("data-code", "bad_input")
    expect(seller.locator("#username-error")).to_contain_text("invalid username")

    seller.goto("/seller/link-new")
    for query, words in (("   ", "must not be blank"), ("x" * 101, "at most 100 characters")):
        seller.get_by_label("Username or nickname").fill(query)
        seller.get_by_role("button", name="Search").click()
        expect(seller.locator("#q-error")).to_contain_text(words)
        expect(seller.get_by_label("Username or nickname")).to_have_attribute(
            "aria-invalid", "true")
