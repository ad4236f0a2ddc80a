"""Who reaches what: every route against six callers, and the token rules behind them."""

from __future__ import annotations

import pytest

from tests.acceptance.api_support import PRINCIPALS, build_world, error_of
from tests.conftest import counted

S, OS, INV, OA, REV, NONE = PRINCIPALS
ROUTES = {
    # name: (method, path, body, the link is linked and unlockable)
    "show shop": ("GET", "/v1/shops/{shop}", None, False),
    "search accounts": ("GET", "/v1/shops/{shop}/accounts?q=bo", None, False),
    "new link": ("POST", "/v1/shops/{shop}/links", {"account": "bob"}, False),
    "list links": ("GET", "/v1/shops/{shop}/links?state=invited", None, False),
    "marketing accounts": ("GET", "/v1/shops/{shop}/marketing-accounts", None, False),
    "set official": ("PUT", "/v1/shops/{shop}/official", {"account": "acme"}, False),
    "rename shop": ("PATCH", "/v1/shops/{shop}", {"name": "Acme Store"}, False),
    "unset official": ("DELETE", "/v1/shops/{shop}/official", None, False),
    "show link": ("GET", "/v1/links/{link}", None, False),
    "cancel": ("POST", "/v1/links/{link}/cancel", None, False),
    "unlink": ("POST", "/v1/links/{link}/unlink", None, True),
    "accept": ("POST", "/v1/links/{link}/accept", None, False),
    "decline": ("POST", "/v1/links/{link}/decline", None, False),
    "my invitations": ("GET", "/v1/me/invitations", None, False),
    "health": ("GET", "/healthz", None, False),
}
SELLER_ONLY = {S: 200, OS: 404, INV: 404, OA: 404, REV: 401, NONE: 401}
ACCOUNT_ONLY = {S: 404, OS: 404, INV: 200, OA: 404, REV: 401, NONE: 401}
EXPECTED = {
    "show shop": SELLER_ONLY,
    "search accounts": SELLER_ONLY,
    "new link": {**SELLER_ONLY, S: 201},
    "list links": SELLER_ONLY,
    "marketing accounts": SELLER_ONLY,
    "set official": SELLER_ONLY,
    "rename shop": SELLER_ONLY,
    "unset official": SELLER_ONLY,
    "show link": {**SELLER_ONLY, INV: 200},
    "cancel": SELLER_ONLY,
    "unlink": SELLER_ONLY,
    "accept": ACCOUNT_ONLY,
    "decline": ACCOUNT_ONLY,
    "my invitations": {**ACCOUNT_ONLY, OA: 200},
    "health": dict.fromkeys(PRINCIPALS, 200),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_each_caller_gets_the_expected_status_on_each_route(engine, route):
    """One world per route: the refused callers go first, as they must change nothing."""
    method, path, body, linked = ROUTES[route]
    world = build_world(engine, linked=linked)
    url = path.format(shop=world.shop_id, link=world.link_id)
    expected = EXPECTED[route]
    got, codes = {}, {}
    for who in sorted(PRINCIPALS, key=lambda w: expected[w] < 400):
        response = world.call(who, method, url, body)
        got[who] = response.status_code
        if response.status_code >= 400:
            codes[who] = error_of(response)["code"]
    assert got == expected
    assert codes == {w: {401: "unauthorized", 404: "not_found"}[s]
                     for w, s in expected.items() if s >= 400}


def test_out_of_reach_reads_exactly_like_absent(engine):
    world = build_world(engine)
    foreign = world.call(OS, "GET", f"/v1/shops/{world.shop_id}")
    absent = world.call(OS, "GET", "/v1/shops/999999")
    assert foreign.status_code == absent.status_code == 404
    assert error_of(foreign)["message"] == f"no shop {world.shop_id}"
    foreign_link = world.call(OA, "GET", f"/v1/links/{world.link_id}")
    assert error_of(foreign_link)["message"] == f"no link {world.link_id}"


def test_an_account_sees_only_its_own_invitations(engine):
    world = build_world(engine)
    mine = world.call(INV, "GET", "/v1/me/invitations").json()
    assert [(link["id"], link["account"], link["state"]) for link in mine] == [
        (world.link_id, "alice", "invited")]
    assert world.call(OA, "GET", "/v1/me/invitations").json() == []


def test_a_request_without_a_token_is_told_how_to_authenticate(engine):
    world = build_world(engine)
    response = world.call(NONE, "GET", f"/v1/shops/{world.shop_id}")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "unauthorized"


def test_a_malformed_unknown_or_forged_token_is_refused(engine):
    world = build_world(engine)
    token_id, _, secret = str(world.tokens[S]).partition(".")
    forged = f"{token_id}.{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    for header in ("Bearer nonsense", "Bearer 0123456789abcdef.wrong-secret", f"Bearer {forged}",
                   f"Basic {world.tokens[S]}", "Bearer ", f"Bearer {token_id}"):
        response = world.client.get(f"/v1/shops/{world.shop_id}",
                                    headers={"Authorization": header})
        assert response.status_code == 401, header
        assert error_of(response)["code"] == "unauthorized", header


# Requests whose input is wrong as well as their caller: (method, path, body).
WRONG_INPUT = {
    "a body missing its field": ("POST", "/v1/shops/{shop}/links", {"nickname": "bob"}),
    "a query missing its field": ("GET", "/v1/shops/{shop}/accounts", None),
    "a query out of range": ("GET", "/v1/shops/{shop}/links?limit=0", None),
    "a shop id that is not a number": ("GET", "/v1/shops/acme", None),
    "a link id that is not a number": ("GET", "/v1/links/first", None),
    "a shop id beyond any": ("GET", "/v1/shops/99999999999999999999999", None),
}


@pytest.mark.parametrize("wrong", list(WRONG_INPUT))
def test_the_token_is_judged_before_the_input(engine, wrong):
    """The token is checked on the route's own thread, after FastAPI validated the input;
    the answer is still the one about the caller: 401 for a bad token, whatever else."""
    method, path, body = WRONG_INPUT[wrong]
    world = build_world(engine)
    url = path.format(shop=world.shop_id)
    for who in (REV, NONE):
        response = world.call(who, method, url, body)
        assert (response.status_code, error_of(response)["code"]) == (401, "unauthorized"), who
    assert world.call(S, method, url, body).status_code in (404, 422)


def test_out_of_reach_is_404_before_the_input_is_judged(engine):
    world = build_world(engine)
    bad_body, bad_query = {"nickname": "bob"}, "?limit=0"
    for who in (OS, INV):
        response = world.call(who, "POST", f"/v1/shops/{world.shop_id}/links", bad_body)
        assert (response.status_code, error_of(response)["message"]) == (
            404, f"no shop {world.shop_id}"), who
        listed = world.call(who, "GET", f"/v1/shops/{world.shop_id}/links{bad_query}")
        assert listed.status_code == 404, who
    assert world.call(S, "POST", f"/v1/shops/{world.shop_id}/links", bad_body).status_code == 422


def test_a_request_reads_its_token_once(engine):
    """In one statement (the first request also records its use, a write)."""
    world = build_world(engine)
    for path in (f"/v1/shops/{world.shop_id}", f"/v1/shops/{world.shop_id}/marketing-accounts",
                 f"/v1/links/{world.link_id}"):
        with counted(engine) as sent:
            assert world.call(S, "GET", path).status_code == 200
        assert len([s for s in sent if "FROM api_tokens" in s]) == 1, path
