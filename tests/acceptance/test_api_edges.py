"""No request answers 500 because of its input or of the database's schema (SPEC 7)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.acceptance.api_support import build_world, error_of

HUGE_IDS = ("2147483648", "9223372036854775807", "9223372036854775808", "1" + "0" * 30, "0")


@pytest.mark.parametrize("link_id", HUGE_IDS)
def test_a_link_id_beyond_any_column_is_404_on_every_route(engine, link_id):
    world = build_world(engine)
    routes = [("seller", "GET", ""), ("seller", "POST", "/cancel"),
              ("seller", "POST", "/unlink"), ("invitee", "POST", "/accept"),
              ("invitee", "POST", "/decline"), ("invitee", "GET", "")]
    for who, method, suffix in routes:
        response = world.call(who, method, f"/v1/links/{link_id}{suffix}")
        assert response.status_code == 404, (method, suffix, response.text)
        assert error_of(response)["code"] == "not_found"


def test_a_shop_id_beyond_any_column_is_404(engine):
    world = build_world(engine)
    for shop_id in HUGE_IDS:
        response = world.call("seller", "GET", f"/v1/shops/{shop_id}")
        assert response.status_code == 404, shop_id
    assert world.call("seller", "GET", "/v1/shops/x1").status_code == 422


def test_a_database_at_an_older_schema_is_503_and_healthz_says_why(engine):
    world = build_world(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0003'"))
        connection.execute(sa.text("ALTER TABLE api_tokens RENAME TO api_tokens_later"))
    try:
        response = world.call("seller", "GET", f"/v1/shops/{world.shop_id}")
        assert response.status_code == 503
        error = error_of(response)
        assert error["code"] == "schema_outdated"
        assert "shoplink db upgrade" in error["message"]
        health = world.client.get("/healthz")
        assert health.status_code == 503
        assert error_of(health)["message"] == error["message"]
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE api_tokens_later RENAME TO api_tokens"))
            connection.execute(sa.text("UPDATE alembic_version SET version_num = :head"),
                               {"head": _head()})
    assert world.client.get("/healthz").status_code == 200


def _head() -> str:
    from shoplink.workflows.schema import HEAD_REVISION

    return HEAD_REVISION


def test_a_huge_username_gets_a_short_error(engine):
    world = build_world(engine)
    response = world.call("seller", "POST", f"/v1/shops/{world.shop_id}/links",
                          {"account": "x" * 1_000_000})
    assert response.status_code in (400, 422)
    assert len(response.content) < 1000


def test_absent_nickname_and_email_are_null(engine, make_account):
    world = build_world(engine)
    make_account("nobody")
    found = world.call("seller", "GET", f"/v1/shops/{world.shop_id}/accounts?q=nobody").json()
    assert found[0]["nickname"] is None and found[0]["email"] is None
