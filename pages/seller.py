"""Seller Center: My account > Linked TikTok accounts, with its two tabs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response

from shoplink.pages.web import PageRoute, Seller, act, redirect

router = APIRouter(prefix="/seller", route_class=PageRoute, include_in_schema=False)


@router.get("/")
def my_account(visitor: Seller) -> Response:
    """My account: the shop, and the way to its linked TikTok accounts."""
    from shoplink.workflows.shops import show_shop

    shop = show_shop(visitor.uow(), visitor.shop, visitor.now)
    return visitor.page("seller/account.html", shop=shop)


@router.get("/linked")
def linked_accounts(visitor: Seller) -> Response:
    return redirect("/seller/linked/marketing")


@router.get("/linked/marketing")
def marketing_tab(visitor: Seller) -> Response:
    """Slots in use, the 180-day count, a probation banner, and the links holding a slot."""
    from shoplink.workflows.shops import marketing_tab as load

    tab = load(visitor.uow(), visitor.shop, visitor.now)
    return visitor.page("seller/marketing.html", shop=tab["shop"], rows=tab["links"],
                        tab="marketing")


@router.get("/linked/official")
def official_tab(visitor: Seller) -> Response:
    from shoplink.workflows.shops import show_official

    official = show_official(visitor.uow(), visitor.shop)
    return visitor.page("seller/official.html", shop=official["shop"],
                        official=official["official_account"], tab="official")


@router.post("/linked/official")
def set_official(visitor: Seller, username: Annotated[str, Form()] = ""
                 ) -> Response:
    from shoplink.workflows.shops import set_official as assign

    return act(visitor, lambda: assign(visitor.uow(), visitor.shop,
                                       username, visitor.now),
               "/seller/linked/official", field="username",
               success=lambda shop: f"@{shop['official_account']} is now the official account.")
