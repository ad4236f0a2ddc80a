"""The seller's routes under /v1/shops/{shop_id}: each calls one service function."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from shoplink.api import schemas
from shoplink.api.auth import Seller
from shoplink.api.errors import responses
from shoplink.api.idempotency import IdempotencyKey, run_once

router = APIRouter(prefix="/v1/shops/{shop_id}", tags=["seller"],
                   responses=responses(400, 401, 404, 422, 500, 503))


@router.get("", response_model=schemas.ShopDetail)
def show_shop(who: Seller) -> JSONResponse:
    """The shop, its official account, slot and 180-day counts."""
    from shoplink.workflows.shops import show_shop as load

    return JSONResponse(load(who.uow(), who.principal.shop_id or 0, who.now))


@router.get("/accounts", response_model=list[schemas.Account])
def search_accounts(
    who: Seller,
    q: Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[^\x00]*$",
                            description="Username or nickname: exact first, then prefix.")],
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> JSONResponse:
    """Account search, as `shoplink account search`."""
    from shoplink.workflows.accounts import search_accounts as search

    return JSONResponse(search(who.uow(), q, limit))


@router.post("/links", status_code=201, response_model=schemas.LinkWithHistory,
             responses=responses(409))
def new_link(who: Seller, body: schemas.AccountRequest, request: Request,
             idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Create the link, verify it and send the invitation (409 with the rejected link)."""
    from shoplink.workflows.links import new_link as create

    shop = who.principal.shop_id or 0
    return run_once(who, request, idempotency_key,
                    lambda uow: create(uow, shop, body.account, who.now, ttl=who.ttl), 201,
                    payload=body.model_dump())


@router.get("/links", response_model=list[schemas.Link])
def list_links(
    who: Seller,
    state: Annotated[list[schemas.State], Query(description="Repeatable.")] = [],  # noqa: B006
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    """The shop's links, newest first."""
    from shoplink.workflows.links import list_links as load

    return JSONResponse(load(who.uow(), who.now, shop_ref=who.principal.shop_id,
                             states=state, limit=limit))


@router.get("/marketing-accounts", response_model=list[schemas.Link])
def marketing_accounts(who: Seller) -> JSONResponse:
    """The Marketing accounts tab: the links holding one of the shop's slots."""
    from shoplink.workflows.marketing import marketing_accounts as load

    return JSONResponse(load(who.uow(), who.principal.shop_id or 0, who.now))


@router.patch("", response_model=schemas.ShopUpdated, responses=responses(409))
def update_shop(who: Seller, body: schemas.ShopUpdate) -> JSONResponse:
    """Rename the shop; its official account's nickname follows (409 if it cannot)."""
    from shoplink.workflows.shops import update_shop as change

    return JSONResponse(change(who.uow(), who.principal.shop_id or 0, who.now, name=body.name,
                               actor=who.principal.label))


@router.put("/official", response_model=schemas.Shop, responses=responses(409))
def set_official(who: Seller, body: schemas.AccountRequest) -> JSONResponse:
    """Set the shop's official account."""
    from shoplink.workflows.shops import set_official as assign

    return JSONResponse(assign(who.uow(), who.principal.shop_id or 0, body.account, who.now,
                               actor=who.principal.label))


@router.delete("/official", response_model=schemas.Shop)
def unset_official(who: Seller) -> JSONResponse:
    """Leave the shop without an official account."""
    from shoplink.workflows.shops import unset_official as clear

    return JSONResponse(clear(who.uow(), who.principal.shop_id or 0, who.now,
                              actor=who.principal.label))
