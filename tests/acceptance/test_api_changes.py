"""The seller renames its shop and unsets its official account; tokens that expire."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoplink.workflows.accounts import add_account
from shoplink.workflows.audit import list_entries
from shoplink.workflows.shops import set_official
from shoplink.workflows.tokens import issue_token
from shoplink.workflows.uow import UnitOfWork
from tests.acceptance.api_support import build_world, error_of
from tests.conftest import T0

SECOND = timedelta(seconds=1)


def test_a_seller_renames_its_shop_and_the_official_nickname_follows(engine):
    world = build_world(engine)
    set_official(UnitOfWork(engine), "Acme", "acme", T0)
    response = world.call("seller", "PATCH", f"/v1/shops/{world.shop_id}", {"name": "ACME!"})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["changed"]) == ("ACME!", ["name"])
    official = world.call("seller", "GET", f"/v1/shops/{world.shop_id}").json()
    assert (official["name"], official["official_account"]) == ("ACME!", "acme")
    [entry] = list_entries(UnitOfWork(engine), username="acme")
    assert (entry["actor"], entry["changes"]) == (
        "seller:Acme", {"nickname": {"from": "Acme", "to": "ACME!"}})


def test_a_rename_the_official_account_cannot_follow_is_409_and_changes_nothing(engine):
    world = build_world(engine)
    set_official(UnitOfWork(engine), "Acme", "acme", T0)
    response = world.call("seller", "PATCH", f"/v1/shops/{world.shop_id}", {"name": "Bolt"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "official_name_mismatch"
    assert world.call("seller", "GET", f"/v1/shops/{world.shop_id}").json()["name"] == "Acme"


@pytest.mark.parametrize("body, status", [
    ({"region": "GB"}, 422),
    ({"name": "Acme", "probation_until": "2030-01-01T00:00:00Z"}, 422),
    ({}, 422),
    ({"name": 7}, 422),
    ({"name": "   "}, 400),
    ({"name": "Bravo"}, 400),
])
def test_region_and_probation_are_not_the_sellers_and_bad_names_are_refused(engine, body,
                                                                            status):
    world = build_world(engine)
    response = world.call("seller", "PATCH", f"/v1/shops/{world.shop_id}", body)
    assert response.status_code == status
    assert error_of(response)["code"] == "bad_input"
    shop = world.call("seller", "GET", f"/v1/shops/{world.shop_id}").json()
    assert (shop["name"], shop["region"], shop["probation_ends_at"]) == ("Acme", "US", None)


def test_a_seller_unsets_its_official_account(engine):
    world = build_world(engine)
    set_official(UnitOfWork(engine), "Acme", "acme", T0)
    response = world.call("seller", "DELETE", f"/v1/shops/{world.shop_id}/official")
    assert (response.status_code, response.json()["official_account"]) == (200, None)
    again = world.call("seller", "DELETE", f"/v1/shops/{world.shop_id}/official")
    assert (again.status_code, again.json()["official_account"]) == (200, None)


def test_an_expiring_token_works_until_one_second_before_and_is_401_from_its_expiry(engine):
    world = build_world(engine)
    add_account(UnitOfWork(engine), {"username": "cleo"}, T0)
    issued = issue_token(UnitOfWork(engine), T0, username="cleo", expires_in="12h")
    assert issued["expires_at"] == "2026-03-03T00:00:00Z"
    headers = {"Authorization": f"Bearer {issued['token']}"}
    world.at(T0 + timedelta(hours=12) - SECOND)
    assert world.client.get("/v1/me/invitations", headers=headers).status_code == 200
    world.at(T0 + timedelta(hours=12))
    expired = world.client.get("/v1/me/invitations", headers=headers)
    assert expired.status_code == 401
    assert error_of(expired) == {"code": "unauthorized", "message": "the bearer token expired"}
    world.at(T0 + timedelta(hours=12) + SECOND)
    assert world.client.get("/v1/me/invitations", headers=headers).status_code == 401


def test_an_expiring_token_on_the_real_clock_ends_at_its_instant(engine):
    from fastapi.testclient import TestClient
    from freezegun import freeze_time

    from shoplink.api.app import create_app

    build_world(engine)
    issued = issue_token(UnitOfWork(engine), T0, shop_ref="Acme", expires_in="30m")
    client = TestClient(create_app(engine), raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {issued['token']}"}
    expiry = T0 + timedelta(minutes=30)
    with freeze_time(expiry - SECOND):
        assert client.get("/v1/shops/1", headers=headers).status_code == 200
    with freeze_time(expiry + SECOND):
        assert client.get("/v1/shops/1", headers=headers).status_code == 401
