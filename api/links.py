"""Routes on one link (/v1/links/{link_id}) and the account's inbox (/v1/me/invitations).

Each hands the service its caller's reach; the service's lookup answers 404 outside it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shoplink.api import schemas
from shoplink.api.auth import AccountHolder, Authenticated, LinkId, link_reach
from shoplink.api.errors import responses
from shoplink.api.idempotency import IdempotencyKey, run_once

router = APIRouter(responses=responses(400, 401, 404, 422, 500, 503))
ACTION: dict[str, Any] = {"response_model": schemas.LinkWithHistory, "responses": responses(409)}


@router.get("/v1/links/{link_id}", response_model=schemas.LinkWithHistory,
            tags=["seller", "account"])
def show_link(link_id: LinkId, who: Authenticated) -> JSONResponse:
    """The link with its whole history (its shop's seller, or its account)."""
    from shoplink.workflows.links import show_link as load

    reach = link_reach(who, seller=True, account=True)
    return JSONResponse(load(who.uow(), link_id, who.now, reach=reach))


@router.post("/v1/links/{link_id}/cancel", tags=["seller"], **ACTION)
def cancel_link(link_id: LinkId, who: Authenticated, request: Request,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The seller withdraws a link that is not yet accepted."""
    from shoplink.workflows.links import cancel_link as cancel

    reach = link_reach(who, seller=True, account=False)
    return run_once(who, request, idempotency_key,
                    lambda uow: cancel(uow, link_id, who.now, reach=reach))


@router.post("/v1/links/{link_id}/unlink", tags=["seller"], **ACTION)
def unlink_link(link_id: LinkId, who: Authenticated, request: Request,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The seller ends a link, from 24 hours after it was linked."""
    from shoplink.workflows.links import unlink_link as unlink

    reach = link_reach(who, seller=True, account=False)
    return run_once(who, request, idempotency_key,
                    lambda uow: unlink(uow, link_id, who.now, reach=reach))


@router.post("/v1/links/{link_id}/accept", tags=["account"], **ACTION)
def accept_link(link_id: LinkId, who: Authenticated, request: Request,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The invited account accepts (the rules are checked a last time)."""
    from shoplink.workflows.links import accept_link as accept

    reach = link_reach(who, seller=False, account=True)
    name = who.principal.username or ""
    return run_once(who, request, idempotency_key,
                    lambda uow: accept(uow, link_id, name, who.now, reach=reach))


@router.post("/v1/links/{link_id}/decline", tags=["account"], **ACTION)
def decline_link(link_id: LinkId, who: Authenticated, request: Request,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """The invited account declines."""
    from shoplink.workflows.links import decline_link as decline

    reach = link_reach(who, seller=False, account=True)
    name = who.principal.username or ""
    return run_once(who, request, idempotency_key,
                    lambda uow: decline(uow, link_id, name, who.now, reach=reach))


@router.get("/v1/me/invitations", response_model=list[schemas.Link], tags=["account"])
def my_invitations(who: AccountHolder) -> JSONResponse:
    """The calling account's pending invitations, newest first."""
    from shoplink.workflows.links import pending_invitations

    return JSONResponse(pending_invitations(who.uow(), who.principal.username or "", who.now))
