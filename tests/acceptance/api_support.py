"""What the HTTP API tests share: a small world of shops, accounts and tokens, and clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shoplink.api.app import create_app
from shoplink.workflows.accounts import add_account
from shoplink.workflows.links import accept_link, new_link
from shoplink.workflows.shops import add_shop
from shoplink.workflows.tokens import issue_token, revoke_token
from shoplink.workflows.uow import UnitOfWork
from tests.conftest import T0

PRINCIPALS = ("seller", "other_seller", "invitee", "other_account", "revoked", "no_token")


@dataclass
class World:
    """Acme (the shop) and Bravo; alice invited to Acme; bob and acme accounts; six callers."""

    app: FastAPI
    client: TestClient
    shop_id: int
    other_shop_id: int
    link_id: int
    tokens: dict[str, str | None] = field(default_factory=dict)

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        token = self.tokens[who]
        auth = {"Authorization": f"Bearer {token}"} if token else {}
        return {**auth, **extra}

    def call(self, who: str, method: str, path: str, body: Any = None,
             **headers: str) -> Any:
        return self.client.request(method, path, json=body, headers=self.headers(who, **headers))

    def at(self, now: datetime) -> None:
        """Move the server's clock."""
        self.app.state.clock = lambda: now


def build_world(engine: sa.Engine, *, linked: bool = False, now: datetime = T0) -> World:
    """The world at `now`; with `linked`, alice accepted two days earlier (so it is unlinkable)."""
    def uow() -> UnitOfWork:
        return UnitOfWork(engine)

    start = now - timedelta(days=2) if linked else now
    shop = add_shop(uow(), "Acme", start)
    other = add_shop(uow(), "Bravo", start)
    for name, nickname in (("alice", "Alice"), ("bob", "Bob"), ("acme", "Acme")):
        add_account(uow(), {"username": name, "nickname": nickname}, start)
    link = new_link(uow(), "Acme", "alice", start)
    if linked:
        accept_link(uow(), link["id"], "alice", start + timedelta(minutes=1))
    tokens: dict[str, str | None] = {
        "seller": issue_token(uow(), start, shop_ref="Acme")["token"],
        "other_seller": issue_token(uow(), start, shop_ref="Bravo")["token"],
        "invitee": issue_token(uow(), start, username="alice")["token"],
        "other_account": issue_token(uow(), start, username="bob")["token"],
        "no_token": None,
    }
    revoked = issue_token(uow(), start, shop_ref="Acme")
    revoke_token(uow(), revoked["id"], start)
    tokens["revoked"] = revoked["token"]
    app = create_app(engine, clock=lambda: now)
    client = TestClient(app, raise_server_exceptions=False)
    return World(app, client, shop["id"], other["id"], link["id"], tokens)


def error_of(response: Any) -> dict[str, Any]:
    """The error document's inner object, checking the document's shape on the way."""
    document = response.json()
    assert set(document) == {"error"}, document
    assert {"code", "message"} <= set(document["error"]), document
    return document["error"]
