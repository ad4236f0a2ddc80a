"""Every page at a phone's width without sideways scrolling, with no serious or critical
axe-core violation, and the seller's steps done with the keyboard alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from shoplink.workflows.accounts import add_account
from shoplink.workflows.errors import Refused
from shoplink.workflows.links import accept_link, new_link
from shoplink.workflows.products import add_product
from shoplink.workflows.shops import add_shop
from tests.browser.conftest import PHONE, sign_in
from tests.conftest import T0

WIDE = "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"


SHOP = "Acme Supplies and Sundries of the Greater Metropolitan Area"


def _busy_shop(site) -> None:
    """A long shop name, an invitation, a linked and an unlinkable account with long names
    and emails, a rejected link (the verify step with a failure), and a product."""
    early = T0 - timedelta(days=2)
    add_shop(site.uow(), SHOP, early)
    for name, nickname in (("ann", "Ann"), ("bea_with_a_long_name.x", "B" * 30),
                           ("cat", "Cat"), ("kid", "Kid")):
        add_account(site.uow(), {"username": name, "nickname": nickname,
                                 "email": f"{name}.{'x' * 40}@example.com",
                                 "birth_date": "2015-01-01" if name == "kid" else None}, early)
    for name, at in (("ann", early), ("bea_with_a_long_name.x", T0 - timedelta(hours=1))):
        link = new_link(site.uow(), SHOP, name, at)
        accept_link(site.uow(), link["id"], name, at)
    new_link(site.uow(), SHOP, "cat", T0)
    with pytest.raises(Refused):
        new_link(site.uow(), SHOP, "kid", T0)
    add_product(site.uow(), SHOP, "SOCK-1", early, title="Striped socks", price="9.50")


SELLER_PAGES = ("/seller/", "/seller/linked/marketing", "/seller/linked/official",
                "/seller/link-new?q=a", "/seller/links/4/verify", "/seller/links/3/sent",
                "/seller/links/1", "/seller/links/1/unlink", "/seller/links/404")
APP_PAGES = ("/app/", "/app/shops")
DESKTOP_AXE = ("/seller/linked/marketing", "/seller/links/1", "/app/")


def _axe_problems(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    return [f"{v['id']} ({v['impact']}): {v['help']} @ {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_every_page_fits_a_phone_and_passes_axe_at_both_widths(site, person):
    _busy_shop(site)
    problems = []
    for viewport in (PHONE, None):
        stranger, seller, holder = person(viewport), person(viewport), person(viewport)
        sign_in(seller, "seller", site.token(shop=SHOP))
        sign_in(holder, "app", site.token(account="cat"))
        visits = [(stranger, "/seller/login"), (stranger, "/app/login"),
                  *((seller, path) for path in SELLER_PAGES),
                  *((holder, path) for path in APP_PAGES)]
        for page, path in visits:
            if not viewport and path not in DESKTOP_AXE:
                continue  # wide, only the pages whose tables lay out differently
            page.goto(path)
            if viewport and page.evaluate(WIDE) > 0:
                problems.append(f"{path} scrolls sideways at 390 px")
            problems += [f"{path}: {p}" for p in _axe_problems(page)]
    assert problems == []


def _tab_to(page, name: str, limit: int = 40) -> None:
    """Press Tab until the focused control is `name`; it must show a visible focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; const s = getComputedStyle(e);"
            " return [(e.innerText || e.labels?.[0]?.innerText || e.value || '').trim(),"
            " s.outlineStyle, s.outlineWidth]; }")
        if focused[0] == name:
            assert focused[1] != "none" and focused[2] != "0px", f"{name}: no visible focus"
            return
    raise AssertionError(f"Tab never reached {name!r}")


def _enter(page) -> None:
    """Press Enter on a link or a form's control and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_seller_can_link_an_account_with_the_keyboard_alone(site, person):
    add_shop(site.uow(), "Acme", T0)
    add_account(site.uow(), {"username": "alice", "nickname": "Alice"}, T0)
    add_account(site.uow(), {"username": "alicia", "nickname": "Alicia"}, T0)
    seller = person(PHONE)
    seller.goto("/seller/login")
    _tab_to(seller, "Skip to content")
    _tab_to(seller, "Token")
    seller.keyboard.type(site.token(shop="Acme"))
    _enter(seller)
    expect(seller.get_by_role("heading", name="My account")).to_be_visible()
    _tab_to(seller, "Linked TikTok accounts")
    _enter(seller)
    _tab_to(seller, "Link new marketing account")
    _enter(seller)
    _tab_to(seller, "Username or nickname")
    seller.keyboard.type("alic")
    _enter(seller)
    _tab_to(seller, "@alice Alice US")
    seller.keyboard.press("ArrowDown")  # radio buttons move with the arrows
    expect(seller.get_by_label("@alicia Alicia US")).to_be_checked()
    _tab_to(seller, "Next")
    _enter(seller)
    _tab_to(seller, "Send invitation")
    _enter(seller)
    expect(seller.get_by_role("heading", name="Invitation sent to @alicia")).to_be_visible()
