"""Who is calling and what they may reach; anything out of reach is NotFound, as if absent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from shoplink.workflows.clock import as_utc
from shoplink.workflows.errors import NotFound, Unauthorized
from shoplink.workflows.lookup import Reach, parse_id
from shoplink.workflows.tokens import Principal, authenticate
from shoplink.workflows.uow import UnitOfWork

bearer = HTTPBearer(auto_error=False, description="A token from `shoplink token issue`.")
# Ids are digits; workflows.lookup.parse_id reads them (a number beyond any id is a 404).
ID_PATTERN = r"^[0-9]{1,40}$"
ShopId = Annotated[str, Path(pattern=ID_PATTERN, description="The shop's id.")]
LinkId = Annotated[str, Path(pattern=ID_PATTERN, description="The link's id.")]


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


# The checks below read only the caller, so they are `async`: FastAPI runs them on the event
# loop instead of handing each to a worker thread and back (two GIL hand-offs a request).
async def seller_of_shop(shop_id: ShopId, who: Authenticated) -> Caller:
    number = parse_id(shop_id, "shop")
    if who.principal.kind != "seller" or who.principal.shop_id != number:
        raise NotFound(f"no shop {number}")
    return who


async def an_account(who: Authenticated) -> Caller:
    if who.principal.kind != "account":
        raise NotFound("not found")
    return who


def link_reach(who: Caller, *, seller: bool, account: bool) -> Reach:
    """The links this caller may touch on this route; the service layer's lookup checks it."""
    principal = who.principal
    return Reach(
        shop_id=principal.shop_id if seller and principal.kind == "seller" else None,
        account_id=principal.account_id if account and principal.kind == "account" else None,
    )


Seller = Annotated[Caller, Depends(seller_of_shop)]
AccountHolder = Annotated[Caller, Depends(an_account)]
