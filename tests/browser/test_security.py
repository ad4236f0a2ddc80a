"""What a stranger or a careless page must not do: reach another shop, post without the
form's CSRF token, run a nickname as script, find a secret in a URL, outlive a session."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import httpx
from playwright.sync_api import expect

from shoplink.workflows.accounts import add_account
from shoplink.workflows.links import new_link, show_link
from shoplink.workflows.shops import add_shop
from shoplink.workflows.tokens import issue_token, revoke_token
from tests.browser.conftest import sign_in
from tests.conftest import T0

XSS = "<script>alert(1)</script>"


def _world(site) -> dict[str, int]:
    add_shop(site.uow(), "Acme", T0)
    add_shop(site.uow(), "Bravo", T0)
    add_account(site.uow(), {"username": "alice", "nickname": XSS}, T0)
    add_account(site.uow(), {"username": "bob"}, T0)
    return {"acme": new_link(site.uow(), "Acme", "alice", T0)["id"],
            "bravo": new_link(site.uow(), "Bravo", "bob", T0)["id"]}


def _csrf(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def _state(site, link_id: int) -> str:
    return show_link(site.uow(), link_id, site.clock.now)["state"]


def test_a_seller_session_used_against_another_shop_finds_nothing_and_changes_nothing(
        site, person):
    links = _world(site)
    seller = person()
    sign_in(seller, "seller", site.token(shop="Acme"))
    for path in (f"/seller/links/{links['bravo']}", f"/seller/links/{links['bravo']}/verify",
                 f"/seller/links/{links['bravo']}/unlink", "/seller/links/999999999999"):
        response = seller.goto(path)
        assert response.status == 404, path
        expect(seller.get_by_role("alert")).to_have_attribute("data-code", "not_found")
    seller.goto("/seller/linked/marketing")
    answer = seller.request.post(f"/seller/links/{links['bravo']}/cancel",
                                 form={"csrf_token": _csrf(seller)}, max_redirects=0)
    assert answer.status == 404
    assert _state(site, links["bravo"]) == "invited"


def test_a_post_without_the_forms_csrf_token_is_refused_and_changes_nothing(site, person):
    links = _world(site)
    seller, holder = person(), person()
    sign_in(seller, "seller", site.token(shop="Acme"))
    sign_in(holder, "app", site.token(account="alice"))
    for page, path in ((seller, f"/seller/links/{links['acme']}/cancel"),
                       (holder, f"/app/invitations/{links['acme']}/accept")):
        for form in ({}, {"csrf_token": "forged"}, {"csrf_token": _csrf(holder if page is
                                                                         seller else seller)}):
            answer = page.request.post(path, form=form, max_redirects=0)
            assert answer.status == 403, (path, form)
            assert 'data-code="csrf"' in answer.text()
    assert _state(site, links["acme"]) == "invited"


def test_a_script_nickname_is_shown_as_text_everywhere(site, person):
    _world(site)
    seller = person()
    dialogs = []
    seller.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(seller, "seller", site.token(shop="Acme"))
    for path in ("/seller/linked/marketing", "/seller/link-new?q=ali", "/seller/links/1"):
        seller.goto(path)
        expect(seller.get_by_text(XSS).first).to_be_visible()
        assert seller.locator("main script").count() == 0
    assert dialogs == []


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_the_session_cookie_is_httponly_and_samesite_and_no_secret_is_in_a_url_or_log(
        site, person):
    _world(site)
    token = site.token(shop="Acme")
    seller = person()
    urls: list[str] = []
    seller.on("request", lambda request: urls.append(request.url))
    logged = _Lines()
    loggers = [logging.getLogger(n) for n in ("uvicorn.access", "uvicorn.error", "shoplink")]
    for logger in loggers:
        logger.addHandler(logged)
    try:
        sign_in(seller, "seller", token)
        seller.get_by_role("link", name="Linked TikTok accounts").first.click()
        cookie = next(c for c in seller.context.cookies()
                      if c["name"] == "shoplink_seller_session")
        assert seller.evaluate("document.cookie") == ""  # HttpOnly: no script can read it
        seller.get_by_role("button", name="Sign out").click()
    finally:
        for logger in loggers:
            logger.removeHandler(logged)
    assert any("POST /seller/login" in line for line in logged.lines)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    assert cookie["path"] == "/seller"
    secrets = (token, token.partition(".")[2], cookie["value"])
    assert not [u for u in urls if any(s in u for s in secrets)]
    assert not [line for line in logged.lines if any(s in line for s in secrets)]


def test_behind_https_the_session_cookie_is_secure(site):
    _world(site)
    token = site.token(shop="Acme")
    with httpx.Client(base_url=site.url, headers={"X-Forwarded-Proto": "https"}) as client:
        form = client.get("/seller/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)[1]
        assert "Secure" in form.headers["set-cookie"]  # so httpx will not send it back over http
        client.cookies.clear()
        answer = client.post("/seller/login", data={"token": token, "csrf_token": csrf},
                             headers={"Cookie": f"shoplink_login_csrf={csrf}"})
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "shoplink_seller_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_signing_out_and_revoking_the_token_each_end_the_session(site, person):
    _world(site)
    seller = person()
    sign_in(seller, "seller", site.token(shop="Acme"))
    kept = seller.context.cookies()
    seller.get_by_role("button", name="Sign out").click()
    expect(seller).to_have_url(re.compile(r"/seller/login$"))
    seller.context.add_cookies(kept)  # the old cookie, replayed, opens nothing
    seller.goto("/seller/linked/marketing")
    expect(seller).to_have_url(re.compile(r"/seller/login$"))

    issued = issue_token(site.uow(), site.clock.now, shop_ref="Acme")
    sign_in(seller, "seller", issued["token"])
    revoke_token(site.uow(), issued["id"], site.clock.now)
    seller.goto("/seller/linked/marketing")
    expect(seller).to_have_url(re.compile(r"/seller/login$"))


def test_a_token_of_the_wrong_kind_or_unknown_is_refused_at_sign_in(site, person):
    _world(site)
    page = person()
    for area, token, words in (("app", site.token(shop="Acme"), "not an account token"),
                               ("seller", site.token(account="alice"), "not a seller token"),
                               ("seller", "0123456789abcdef.nope", "token is not valid"),
                               ("seller", "", "Enter your token")):
        page.goto(f"/{area}/login")
        page.get_by_label("Token").fill(token)
        page.get_by_label("Token").evaluate("field => field.removeAttribute('required')")
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#token-error")).to_contain_text(words)
        expect(page.get_by_label("Token")).to_have_attribute("aria-invalid", "true")
        assert not [c for c in page.context.cookies() if c["name"].endswith("_session")]


def test_an_account_sees_and_answers_only_its_own_invitations(site, person):
    links = _world(site)
    bob = person()
    sign_in(bob, "app", site.token(account="bob"))
    expect(bob.locator(".invitation h2")).to_have_text(["Bravo"])
    answer = bob.request.post(f"/app/invitations/{links['acme']}/accept",
                              form={"csrf_token": _csrf(bob)}, max_redirects=0)
    assert answer.status == 404
    assert _state(site, links["acme"]) == "invited"


def test_a_session_ends_the_second_its_token_expires(site, person):
    _world(site)
    token = issue_token(site.uow(), site.clock.now, shop_ref="Acme", expires_in="1h")["token"]
    seller = person()
    sign_in(seller, "seller", token)
    site.clock.now = T0 + timedelta(hours=1, seconds=-1)
    seller.goto("/seller/linked/marketing")
    expect(seller.get_by_role("heading", name="Linked TikTok accounts")).to_be_visible()
    site.clock.now = T0 + timedelta(hours=1)
    seller.goto("/seller/linked/marketing")
    expect(seller).to_have_url(re.compile(r"/seller/login$"))
