"""`shoplink token issue|revoke|list`: shown once, stored as a hash, refused once revoked."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from shoplink.api.app import create_app
from shoplink.workflows.models import ApiToken
from tests.conftest import T0


def _issue(run_cli, *args):
    result = run_cli("token", "issue", *args, json=True)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_issue_prints_the_token_once_and_stores_only_its_hash(run_cli, make_shop, engine):
    make_shop("Acme")
    issued = _issue(run_cli, "--shop", "Acme")
    assert set(issued) == {"id", "token", "principal", "expires_at"}
    assert issued["principal"] == "seller:Acme"
    token_id, _, secret = issued["token"].partition(".")
    assert token_id == issued["id"] and len(secret) >= 43  # 32 random bytes, 256 bits
    with engine.connect() as connection:
        row = connection.execute(sa.select(ApiToken.__table__)).one()._asdict()
    assert issued["token"] not in json.dumps(row, default=str)
    listed = run_cli("token", "list", json=True)
    assert issued["token"] not in listed.output
    assert json.loads(listed.output)[0]["id"] == issued["id"]


def test_issue_needs_exactly_one_principal_that_exists(run_cli, make_shop):
    make_shop("Acme")
    neither = run_cli("token", "issue")
    both = run_cli("token", "issue", "--shop", "Acme", "--account", "alice")
    missing = run_cli("token", "issue", "--account", "@nobody")
    assert (neither.exit_code, both.exit_code, missing.exit_code) == (2, 2, 3)
    assert missing.stderr.strip() == "error: no account @nobody"
    assert json.loads(run_cli("token", "list", json=True).output) == []


def test_a_revoked_token_is_refused_from_the_next_request_on(run_cli, make_shop, engine):
    shop = make_shop("Acme")
    issued = _issue(run_cli, "--shop", "Acme")
    client = TestClient(create_app(engine, clock=lambda: T0))
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get(f"/v1/shops/{shop['id']}", headers=headers).status_code == 200
    revoked = run_cli("token", "revoke", issued["id"], json=True)
    assert revoked.exit_code == 0 and json.loads(revoked.output)["revoked_at"]
    refused = client.get(f"/v1/shops/{shop['id']}", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "the bearer token was revoked"


def test_revoking_an_unknown_token_is_not_found(run_cli):
    result = run_cli("token", "revoke", "0123456789abcdef")
    assert result.exit_code == 3
    assert result.stderr.strip() == "error: no token '0123456789abcdef'"


def test_list_shows_when_each_token_was_last_used(run_cli, make_shop, make_account, engine):
    shop = make_shop("Acme")
    make_account("alice")
    seller = _issue(run_cli, "--shop", "Acme")
    _issue(run_cli, "--account", "alice")
    used_at = T0 + timedelta(hours=3)
    client = TestClient(create_app(engine, clock=lambda: used_at))
    client.get(f"/v1/shops/{shop['id']}", headers={"Authorization": f"Bearer {seller['token']}"})
    rows = {r["principal"]: r for r in json.loads(run_cli("token", "list", json=True).output)}
    assert rows["seller:Acme"]["last_used_at"] == "2026-03-02T15:00:00Z"
    assert rows["account:alice"]["last_used_at"] is None
    assert set(rows["seller:Acme"]) == {"id", "principal", "created_at", "last_used_at",
                                        "revoked_at", "expires_at"}
