"""The TikTok app: an account's Invitations (Accept, Decline) and its Linked shops."""

from __future__ import annotations

from fastapi import APIRouter, Response

from shoplink.pages.web import AccountHolder, PageRoute, Visitor, act, redirect
from shoplink.workflows import lookup
from shoplink.workflows.errors import NotFound

router = APIRouter(prefix="/app", route_class=PageRoute, include_in_schema=False)


def _mine(visitor: Visitor, link_id: int) -> int:
    """The link's id if it invites this account; any other is not found, as if absent."""
    from shoplink.workflows.models import Link

    with visitor.uow() as uow:
        link = uow.session.get(Link, lookup.link_id(link_id))
        if link is None or link.account_id != visitor.principal.account_id:
            raise NotFound(f"no link {link_id}")
    return link_id


@router.get("/")
def invitations(visitor: AccountHolder) -> Response:
    from shoplink.workflows.links import pending_invitations

    rows = pending_invitations(visitor.uow(), visitor.username, visitor.now)
    return visitor.page("app/invitations.html", rows=rows, tab="invitations")


@router.get("/shops")
def linked_shops(visitor: AccountHolder) -> Response:
    from shoplink.workflows.links import linked_shops as load

    rows = load(visitor.uow(), visitor.username, visitor.now)
    return visitor.page("app/shops.html", rows=rows, tab="shops")


@router.post("/invitations/{link_id}/accept")
def accept(visitor: AccountHolder, link_id: int) -> Response:
    from shoplink.workflows.links import accept_link

    return act(visitor, lambda: accept_link(visitor.uow(), _mine(visitor, link_id),
                                            visitor.username, visitor.now),
               "/app/", success=lambda v: f"You are now a marketing account of {v['shop']}.")


@router.post("/invitations/{link_id}/decline")
def decline(visitor: AccountHolder, link_id: int) -> Response:
    from shoplink.workflows.links import decline_link

    return act(visitor, lambda: decline_link(visitor.uow(), _mine(visitor, link_id),
                                             visitor.username, visitor.now),
               "/app/", success=lambda v: f"You declined the invitation of {v['shop']}.")


@router.get("")
def app_root(visitor: AccountHolder) -> Response:
    return redirect("/app/")
