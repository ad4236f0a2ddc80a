"""Who is calling and what they may reach; anything out of reach is NotFound, as if absent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from shoplink.workflows.clock import as_utc
from shoplink.workflows.errors import NotFound, Unauthorized
from shoplink.workflows.models import Link
from shoplink.workflows.tokens import Principal, authenticate
from shoplink.workflows.uow import UnitOfWork

MAX_ID = 2**63 - 1
bearer = HTTPBearer(auto_error=False, description="A token from `shoplink token issue`.")
ShopId = Annotated[int, Path(ge=1, le=MAX_ID, description="The shop's id.")]
LinkId = Annotated[int, Path(ge=1, le=MAX_ID, description="The link's id.")]


@dataclass(frozen=True)
class Caller:
    """An authenticated request: its principal, the database, and the one `now` it runs at."""

    principal: Principal
    engine: Engine
    now: datetime
    ttl: timedelta | None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)


def caller(request: Request,
           credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
           ) -> Caller:
    if credentials is None:
        raise Unauthorized()
    state = request.app.state
    now = as_utc(state.clock())
    principal = authenticate(UnitOfWork(state.engine), credentials.credentials, now)
    return Caller(principal, state.engine, now, state.ttl)


Authenticated = Annotated[Caller, Depends(caller)]


def seller_of_shop(shop_id: ShopId, who: Authenticated) -> Caller:
    if who.principal.kind != "seller" or who.principal.shop_id != shop_id:
        raise NotFound(f"no shop {shop_id}")
    return who


def an_account(who: Authenticated) -> Caller:
    if who.principal.kind != "account":
        raise NotFound("not found")
    return who


def _owners(who: Caller, link_id: int) -> tuple[int, int] | None:
    with who.engine.connect() as connection:
        row = connection.execute(
            sa.select(Link.shop_id, Link.account_id).where(Link.id == link_id)
        ).first()
        connection.rollback()
    return (row[0], row[1]) if row else None


def _reach(who: Caller, link_id: int, *, seller: bool, account: bool) -> Caller:
    owners = _owners(who, link_id)
    principal = who.principal
    if owners is not None and (
        (seller and principal.kind == "seller" and principal.shop_id == owners[0])
        or (account and principal.kind == "account" and principal.account_id == owners[1])
    ):
        return who
    raise NotFound(f"no link {link_id}")


def seller_of_link(link_id: LinkId, who: Authenticated) -> Caller:
    return _reach(who, link_id, seller=True, account=False)


def account_of_link(link_id: LinkId, who: Authenticated) -> Caller:
    return _reach(who, link_id, seller=False, account=True)


def reader_of_link(link_id: LinkId, who: Authenticated) -> Caller:
    return _reach(who, link_id, seller=True, account=True)


Seller = Annotated[Caller, Depends(seller_of_shop)]
AccountHolder = Annotated[Caller, Depends(an_account)]
LinkSeller = Annotated[Caller, Depends(seller_of_link)]
LinkAccount = Annotated[Caller, Depends(account_of_link)]
LinkReader = Annotated[Caller, Depends(reader_of_link)]
