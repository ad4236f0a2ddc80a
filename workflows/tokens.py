"""The service layer for API tokens: issue, revoke, list, and who a bearer token speaks for.

A token reads `<id>.<secret>`: the id finds the row, the SHA-256 of the whole token
is compared in constant time, and only that hash is ever stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa

from shoplink.workflows import lookup, validate
from shoplink.workflows.clock import iso
from shoplink.workflows.db import single_read
from shoplink.workflows.driver import DriverStatement
from shoplink.workflows.errors import BadInput, NotFound, Unauthorized, quoted
from shoplink.workflows.models import Account, ApiToken, Shop
from shoplink.workflows.types import UTCDateTime
from shoplink.workflows.uow import UnitOfWork

ID_LENGTH = 16
USE_RECORDED_EVERY = timedelta(minutes=1)
TOKENS = cast(sa.Table, ApiToken.__table__)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the seller of one shop, or one account."""

    kind: str
    shop_id: int | None = None
    shop: str | None = None
    account_id: int | None = None
    username: str | None = None

    @property
    def key(self) -> str:
        """Stable across renames: what idempotency records are filed under."""
        return f"shop:{self.shop_id}" if self.kind == "seller" else f"account:{self.account_id}"

    @property
    def label(self) -> str:
        return f"seller:{self.shop}" if self.kind == "seller" else f"account:{self.username}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def principal_of(row: ApiToken) -> Principal:
    if row.shop is not None:
        return Principal("seller", shop_id=row.shop.id, shop=row.shop.name)
    assert row.account is not None
    return Principal("account", account_id=row.account.id, username=row.account.username)


def token_view(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "principal": principal_of(row).label,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "revoked_at": iso(row.revoked_at),
        "expires_at": iso(row.expires_at),
    }


def issue_token(uow: UnitOfWork, now: datetime, *, shop_ref: str | None = None,
                username: str | None = None, expires_in: str | None = None) -> dict[str, Any]:
    """A new token for a shop's seller or for an account; the secret is returned only here.

    With `expires_in` (`30m`, `12h`, `90d`) it is refused from that instant on.
    """
    if (shop_ref is None) == (username is None):
        raise BadInput("give exactly one of --shop SHOP or --account ACCOUNT")
    expires_at = (now + validate.duration(expires_in, "--expires-in")
                  if expires_in is not None else None)
    token_id = secrets.token_hex(ID_LENGTH // 2)
    token = f"{token_id}.{secrets.token_urlsafe(32)}"
    with uow:
        row = ApiToken(id=token_id, token_hash=_hash(token), created_at=now,
                       expires_at=expires_at)
        if shop_ref is not None:
            row.shop = lookup.shop(uow.session, shop_ref)
        else:
            row.account = lookup.account(uow.session, username or "")
        uow.session.add(row)
        uow.session.flush()
        view = {"id": row.id, "token": token, "principal": principal_of(row).label,
                "expires_at": iso(expires_at)}
        uow.commit()
    return view


def revoke_token(uow: UnitOfWork, token_ref: str, now: datetime) -> dict[str, Any]:
    """Refuse the token from now on; revoking twice keeps the first time.

    The token is named by its id, or by the whole `ID.SECRET` pasted by mistake: then the
    secret must match, and it is never printed back."""
    text = token_ref.strip()
    token_id, dot, _secret = text.partition(".")
    with uow:
        row = uow.session.get(ApiToken, token_id) if len(token_id) <= ID_LENGTH else None
        if row is not None and dot and not hmac.compare_digest(row.token_hash, _hash(text)):
            row = None
        if row is None:
            raise NotFound(f"no token {quoted(token_id, ID_LENGTH + 4)}")
        row.revoked_at = row.revoked_at or now
        uow.session.flush()
        view = token_view(row)
        uow.commit()
    return view


def list_tokens(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        rows = uow.session.execute(sa.select(ApiToken).order_by(ApiToken.created_at,
                                                                ApiToken.id)).unique().scalars()
        return [token_view(row) for row in rows]


def authenticate(uow: UnitOfWork, token: str, now: datetime) -> Principal:
    """The principal of a live token; anything else is Unauthorized.

    A read of one statement (`db.single_read`), no ORM session, run on the driver's
    cursor (`driver.DriverStatement`): it runs before every request. The token's use is written
    only when the last one recorded is a minute old (USE_RECORDED_EVERY), in a short
    transaction of its own, so requests do not queue behind one another to say that
    they happened."""
    token_id, dot, _secret = token.partition(".")
    if not dot or len(token_id) != ID_LENGTH or len(token) > 200:
        raise Unauthorized("the bearer token is not valid")
    with single_read(uow.engine) as connection:
        row = _TOKEN_READ.first(connection, {"token_id": token_id})
    if row is None or not hmac.compare_digest(row.token_hash, _hash(token)):
        raise Unauthorized("the bearer token is not valid")
    if row.revoked_at is not None:
        raise Unauthorized("the bearer token was revoked")
    if row.expires_at is not None and now >= row.expires_at:
        raise Unauthorized("the bearer token expired")
    if row.shop_id is not None:
        principal = Principal("seller", shop_id=row.shop_id, shop=row.shop_name)
    else:
        principal = Principal("account", account_id=row.account_id, username=row.username)
    if row.last_used_at is not None and now - row.last_used_at < USE_RECORDED_EVERY:
        return principal
    a_minute_ago = sa.literal(now - USE_RECORDED_EVERY, UTCDateTime())
    stale = sa.or_(TOKENS.c.last_used_at.is_(None), TOKENS.c.last_used_at <= a_minute_ago)
    with uow.engine.begin() as connection:
        connection.execute(sa.update(TOKENS).where(TOKENS.c.id == token_id, stale)
                           .values(last_used_at=now))
    return principal


def _token_read() -> sa.Select:
    """What authenticate needs of a token, its shop and its account, in one read."""
    shops, accounts = cast(sa.Table, Shop.__table__), cast(sa.Table, Account.__table__)
    return (
        sa.select(TOKENS.c.token_hash, TOKENS.c.revoked_at, TOKENS.c.expires_at,
                  TOKENS.c.last_used_at, shops.c.id.label("shop_id"),
                  shops.c.name.label("shop_name"), accounts.c.id.label("account_id"),
                  accounts.c.username)
        .select_from(TOKENS.outerjoin(shops, shops.c.id == TOKENS.c.shop_id)
                     .outerjoin(accounts, accounts.c.id == TOKENS.c.account_id))
        .where(TOKENS.c.id == sa.bindparam("token_id"))
    )


_TOKEN_READ = DriverStatement(_token_read())
