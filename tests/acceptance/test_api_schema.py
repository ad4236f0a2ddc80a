"""schemathesis against the served OpenAPI document: no 500, and every answer as documented."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shoplink.api.app import create_app
from shoplink.workflows.db import make_engine
from tests.acceptance.api_support import World, build_world

pytestmark = pytest.mark.slow
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
ACCOUNT_ROUTES = ("/v1/me/invitations", "/v1/links/{link_id}/accept",
                  "/v1/links/{link_id}/decline")


# The document is built once, from an app with no database yet; each test points the app
# at a fresh SQLite world (the backends are compared by the other API tests).
APP = create_app(make_engine("sqlite://"))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def world(sqlite_template, tmp_path) -> Iterator[World]:
    path = tmp_path / "shoplink.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    world = build_world(engine)
    APP.state.engine, APP.state.clock = world.app.state.engine, world.app.state.clock
    yield world
    engine.dispose()


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_generated_request_is_answered_as_documented(case, world):
    """Valid ids and names mostly point at the world's shop, link and accounts, so requests
    reach the services and succeed now and then."""
    who = "invitee" if case.path in ACCOUNT_ROUTES else "seller"
    parameters = case.path_parameters or {}
    if isinstance(parameters.get("shop_id"), int) and parameters["shop_id"] % 4:
        parameters["shop_id"] = world.shop_id
    if isinstance(parameters.get("link_id"), int) and parameters["link_id"] % 4:
        parameters["link_id"] = world.link_id
    body = case.body if isinstance(case.body, dict) else {}
    if isinstance(body.get("account"), str) and len(body["account"]) % 2:
        body["account"] = "acme" if case.method == "PUT" else "bob"
    case.call_and_validate(headers=world.headers(who), checks=CHECKS)
