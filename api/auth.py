"""Who is calling and what they may reach; anything out of reach is NotFound, as if absent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

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


class Caller:
    """A request's caller: its token, the one `now` it runs at, and what the route requires.

    The token is checked on the request's worker thread, the first time the route reaches
    for the principal or the database (`principal`, `engine`, `uow()`): checking it in a
    dependency of its own cost every request a second hand-off to a thread and back, about
    a tenth of the server's Python under load. A route cannot reach data without it, and
    `refuse_first` keeps the order of answers: a bad token is 401 and a foreign shop 404
    even when the request's input is also wrong.
    """

    __slots__ = ("_token", "_engine", "now", "ttl", "_kind", "_shop", "_principal")

    def __init__(self, token: str, engine: Engine, now: datetime, ttl: timedelta | None) -> None:
        self._token, self._engine, self.now, self.ttl = token, engine, now, ttl
        self._kind: str | None = None
        self._shop: str | None = None
        self._principal: Principal | None = None

    def require(self, kind: str, *, shop: str | None = None) -> None:
        """The principal the route is for: a seller (of the shop in its path) or an account."""
        self._kind, self._shop = kind, shop

    @property
    def principal(self) -> Principal:
        if self._principal is None:
            principal = authenticate(UnitOfWork(self._engine), self._token, self.now)
            self._principal = self._within_reach(principal)
        return self._principal

    def _within_reach(self, principal: Principal) -> Principal:
        """Out of reach is NotFound, as if absent."""
        if self._shop is not None:
            number = parse_id(self._shop, "shop")
            if principal.kind != "seller" or principal.shop_id != number:
                raise NotFound(f"no shop {number}")
        elif self._kind is not None and principal.kind != self._kind:
            raise NotFound("not found")
        return principal

    @property
    def engine(self) -> Engine:
        self.principal  # noqa: B018 - no data before the token is checked
        return self._engine

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)


# Where `caller` leaves the request's caller, for refuse_first.
CALLER = "shoplink_caller"


# The dependencies below read no database, so they are `async`: FastAPI runs them on the
# event loop instead of handing each to a worker thread and back.
async def caller(request: Request,
                 credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
                 ) -> Caller:
    if credentials is None:
        raise Unauthorized()
    state = request.app.state
    who = Caller(credentials.credentials, state.engine, as_utc(state.clock()), state.ttl)
    setattr(request.state, CALLER, who)
    return who


Authenticated = Annotated[Caller, Depends(caller)]


async def seller_of_shop(shop_id: ShopId, who: Authenticated) -> Caller:
    who.require("seller", shop=shop_id)
    return who


async def an_account(who: Authenticated) -> Caller:
    who.require("account")
    return who


async def refuse_first(request: Request) -> None:
    """Before answering that the input is wrong (422): check the caller's token and reach,
    raising what the route would have (401, 404), as when they were checked first."""
    who = getattr(request.state, CALLER, None)
    if who is not None:
        await run_in_threadpool(lambda: who.principal)


def link_reach(who: Caller, *, seller: bool, account: bool) -> Reach:
    """The links this caller may touch on this route; the service layer's lookup checks it."""
    principal = who.principal
    return Reach(
        shop_id=principal.shop_id if seller and principal.kind == "seller" else None,
        account_id=principal.account_id if account and principal.kind == "account" else None,
    )


Seller = Annotated[Caller, Depends(seller_of_shop)]
AccountHolder = Annotated[Caller, Depends(an_account)]
