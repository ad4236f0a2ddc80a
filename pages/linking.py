"""Seller Center: the three steps of "Link new marketing account", and one link's page
(history, Unlink with its Confirm, Cancel invitation, the showcase)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Response

from shoplink.pages.web import PageRoute, Seller, Visitor, act, redirect, refusal
from shoplink.workflows import lookup
from shoplink.workflows.errors import BadInput, NotFound, Refused

router = APIRouter(prefix="/seller", route_class=PageRoute, include_in_schema=False)
MAX_QUERY = 100  # as the API's search
Text = Annotated[str, Form()]  # lengths are the service layer's to judge, next to the field


def _own(visitor: Visitor, link_id: int) -> int:
    """The link's id if it is this seller's shop's; any other is not found, as if absent."""
    with visitor.uow() as uow:
        if lookup.link_shop_id(uow.session, lookup.link_id(link_id)) \
                != visitor.principal.shop_id:
            raise NotFound(f"no link {link_id}")
    return link_id


@router.get("/link-new")
def search_step(visitor: Seller, q: Annotated[str | None, Query()] = None) -> Response:
    """Step 1: search by username or nickname; exact matches first, then prefixes."""
    from shoplink.workflows.accounts import search_accounts

    results, error = None, None
    if q is not None:
        try:
            if len(q) > MAX_QUERY:
                raise BadInput(f"search for at most {MAX_QUERY} characters")
            results = search_accounts(visitor.uow(), q, 20)
        except BadInput as failure:
            error = refusal(failure, "q")
    return visitor.page("seller/search.html", q=q or "", results=results, error=error)


@router.post("/link-new")
def choose_account(visitor: Seller, account: Text = "") -> Response:
    """Next: create the link and verify it (`link new --no-invite`), then show step 2."""
    from shoplink.workflows.links import new_link

    if not account:
        visitor.say({"kind": "bad_input", "field": "account",
                     "rules": [{"code": "bad_input", "message": "Choose an account first."}]})
        return redirect("/seller/link-new")
    try:
        view = new_link(visitor.uow(), visitor.shop, account, visitor.now,
                        invite=False)
    except Refused as refused:
        if refused.link is None:
            raise
        view = refused.link
    except BadInput as failure:
        visitor.say(refusal(failure, "account"))
        return redirect("/seller/link-new")
    return redirect(f"/seller/links/{view['id']}/verify")


@router.get("/links/{link_id}/verify")
def verify_step(visitor: Seller, link_id: int) -> Response:
    """Step 2: every criterion, passed or failed in words; Send invitation if all passed."""
    from shoplink.workflows.verification import verification

    view = verification(visitor.uow(), _own(visitor, link_id), visitor.now,
                        shop_id=visitor.principal.shop_id)
    return visitor.page("seller/verify.html", link=view)


@router.post("/links/{link_id}/invite")
def send_invitation(visitor: Seller, link_id: int) -> Response:
    from shoplink.workflows.links import invite_link

    ttl = visitor.request.app.state.ttl
    try:
        invite_link(visitor.uow(), _own(visitor, link_id), visitor.now, ttl=ttl)
    except (Refused, BadInput) as failure:
        visitor.say(refusal(failure))
        return redirect(f"/seller/links/{link_id}/verify")
    return redirect(f"/seller/links/{link_id}/sent")


@router.get("/links/{link_id}/sent")
def sent_step(visitor: Seller, link_id: int) -> Response:
    """Step 3: "Invitation sent to @username", with when it expires."""
    from shoplink.workflows.links import show_link

    view = show_link(visitor.uow(), _own(visitor, link_id), visitor.now)
    return visitor.page("seller/sent.html", link=view)


@router.get("/links/{link_id}")
def link_page(visitor: Seller, link_id: int) -> Response:
    """One link: its fields, what the seller may do now, its showcase and its history."""
    from shoplink.workflows.links import show_link
    from shoplink.workflows.products import list_products
    from shoplink.workflows.showcase import show_showcase

    view = show_link(visitor.uow(), _own(visitor, link_id), visitor.now)
    showcase = products = None
    if view["state"] in ("linked", "unlinkable"):
        showcase = show_showcase(visitor.uow(), link_id, visitor.now)["items"]
        shown = {item["sku"] for item in showcase}
        products = [p for p in list_products(visitor.uow(), visitor.shop,
                                             status="active") if p["sku"] not in shown]
    return visitor.page("seller/link.html", link=view, showcase=showcase, products=products)


@router.get("/links/{link_id}/unlink")
def unlink_confirmation(visitor: Seller, link_id: int) -> Response:
    from shoplink.workflows.links import show_link

    view = show_link(visitor.uow(), _own(visitor, link_id), visitor.now)
    return visitor.page("seller/unlink.html", link=view)


@router.post("/links/{link_id}/unlink")
def unlink(visitor: Seller, link_id: int) -> Response:
    from shoplink.workflows.links import unlink_link

    return act(visitor, lambda: unlink_link(visitor.uow(), _own(visitor, link_id), visitor.now),
               "/seller/linked/marketing",
               success=lambda v: f"@{v['account']} is no longer a marketing account.")


@router.post("/links/{link_id}/cancel")
def cancel(visitor: Seller, link_id: int) -> Response:
    from shoplink.workflows.links import cancel_link

    return act(visitor, lambda: cancel_link(visitor.uow(), _own(visitor, link_id), visitor.now),
               "/seller/linked/marketing",
               success=lambda v: f"The link to @{v['account']} is cancelled.")


@router.post("/links/{link_id}/showcase/add")
def showcase_add(visitor: Seller, link_id: int, sku: Text = "") -> Response:
    from shoplink.workflows.showcase import add_to_showcase

    return act(visitor, lambda: add_to_showcase(visitor.uow(), _own(visitor, link_id), [sku],
                                                visitor.now),
               f"/seller/links/{link_id}", field="sku", success=f"Added {sku} to the showcase.")


@router.post("/links/{link_id}/showcase/remove")
def showcase_remove(visitor: Seller, link_id: int, sku: Text = "") -> Response:
    from shoplink.workflows.showcase import remove_from_showcase

    return act(visitor, lambda: remove_from_showcase(visitor.uow(), _own(visitor, link_id),
                                                     [sku], visitor.now),
               f"/seller/links/{link_id}", success=f"Removed {sku} from the showcase.")
