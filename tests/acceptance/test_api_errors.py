"""Every failure answers the error document with the status of SPEC section 7, never a trace."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shoplink.api.app import create_app
from tests.acceptance.api_support import build_world, error_of
from tests.conftest import T0

BODIES = {b"{": "body", b"{}": "body.account", b'{"account": 42}': "body.account",
          b"[]": "body", b"\xcd}\x0f_\x98": "body"}
QUERIES = ("limit=zero", "limit=0", "limit=501", "")


def test_a_body_or_query_that_does_not_parse_is_422_in_the_error_document(engine):
    world = build_world(engine)
    for body, where in BODIES.items():
        response = world.client.post(f"/v1/shops/{world.shop_id}/links", content=body,
                                     headers=world.headers("seller", **{
                                         "Content-Type": "application/json"}))
        assert response.status_code == 422, body
        error = error_of(response)
        assert error["code"] == "bad_input" and error["message"].startswith(where), body
    for query in QUERIES:
        response = world.call("seller", "GET", f"/v1/shops/{world.shop_id}/accounts?{query}")
        assert response.status_code == 422, query
        assert error_of(response)["code"] == "bad_input", query


def test_input_the_document_forbids_is_422_as_the_document_says(engine):
    world = build_world(engine)
    response = world.call("seller", "POST", f"/v1/shops/{world.shop_id}/links",
                          {"account": "Not A Username"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "bad_input"
    state = world.call("seller", "GET", f"/v1/shops/{world.shop_id}/links?state=bogus")
    assert state.status_code == 422


def test_the_openapi_document_is_as_strict_as_the_api(engine):
    from shoplink.workflows.machine import STATES

    world = build_world(engine)
    document = world.client.get("/openapi.json").json()
    account = document["components"]["schemas"]["AccountRequest"]["properties"]["account"]
    assert account["pattern"] == r"^\s*@?[a-z0-9_.]{2,24}\s*$"
    links = document["paths"]["/v1/shops/{shop_id}/links"]
    [state] = [p for p in links["get"]["parameters"] if p["name"] == "state"]
    assert set(state["schema"]["items"]["enum"]) == set(STATES)
    for method in ("post",):
        names = [p["name"] for p in links[method]["parameters"]]
        assert "Idempotency-Key" in names
    accepted = world.call("seller", "POST", f"/v1/shops/{world.shop_id}/links",
                          {"account": " @bob "})
    assert accepted.status_code == 201


def test_a_wrong_method_lists_every_method_of_the_path_in_allow(engine):
    world = build_world(engine)
    response = world.call("seller", "DELETE", f"/v1/shops/{world.shop_id}/links")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_a_refusal_is_409_with_every_failed_rule_and_the_rejected_link(engine, make_shop,
                                                                          make_account):
    world = build_world(engine)
    shop = make_shop("Probation Shop", probation_until="2026-04-01T00:00:00Z")
    make_account("gus", region="GB")
    from shoplink.workflows.tokens import issue_token
    from shoplink.workflows.uow import UnitOfWork

    token = issue_token(UnitOfWork(engine), T0, shop_ref="Probation Shop")["token"]
    response = world.client.post(f"/v1/shops/{shop['id']}/links", json={"account": "gus"},
                                 headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "shop_in_probation"
    assert [rule["code"] for rule in error["rules"]] == ["shop_in_probation",
                                                         "account_ineligible"]
    assert error["link"]["state"] == "rejected"


def test_an_unexpected_failure_is_500_internal_with_no_detail(engine, monkeypatch):
    world = build_world(engine)

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT secret FROM shops", {}, Exception("password=x"))

    monkeypatch.setattr("shoplink.workflows.shops.show_shop", broken)
    response = world.call("seller", "GET", f"/v1/shops/{world.shop_id}")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal", "message": "internal error"}}


def test_unknown_paths_and_methods_answer_the_error_document(engine):
    world = build_world(engine)
    assert error_of(world.call("seller", "GET", "/v1/nowhere"))["code"] == "not_found"
    wrong_method = world.call("seller", "DELETE", f"/v1/links/{world.link_id}")
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "bad_input"


def test_the_openapi_document_lists_every_route_of_the_spec(engine):
    world = build_world(engine)
    paths = world.client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert routes == {
        ("GET", "/healthz"), ("GET", "/v1/shops/{shop_id}"),
        ("GET", "/v1/shops/{shop_id}/accounts"), ("POST", "/v1/shops/{shop_id}/links"),
        ("GET", "/v1/shops/{shop_id}/links"), ("GET", "/v1/shops/{shop_id}/marketing-accounts"),
        ("PUT", "/v1/shops/{shop_id}/official"), ("GET", "/v1/links/{link_id}"),
        ("PATCH", "/v1/shops/{shop_id}"), ("DELETE", "/v1/shops/{shop_id}/official"),
        ("POST", "/v1/links/{link_id}/cancel"), ("POST", "/v1/links/{link_id}/unlink"),
        ("POST", "/v1/links/{link_id}/accept"), ("POST", "/v1/links/{link_id}/decline"),
        ("GET", "/v1/me/invitations"),
    }


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    from shoplink.workflows.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/shoplink.db")
    response = TestClient(create_app(engine)).get("/healthz")
    assert response.status_code == 503
    assert error_of(response) == {"code": "unavailable", "message": "the database does not answer"}

