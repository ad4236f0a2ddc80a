"""The JSON shapes of SPEC section 6, shared by the CLI and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shoplink.workflows.clock import iso
from shoplink.workflows.models import Account, Link, LinkEvent, Shop

if TYPE_CHECKING:
    from shoplink.workflows.link_rows import Moving


def account_view(account: Account | Any) -> dict[str, Any]:
    """An Account, or a row with its columns (the search reads plain rows)."""
    return {
        "username": account.username,
        "nickname": account.nickname or None,
        "email": account.email or None,
        "region": account.region,
        "status": account.status,
        "birth_date": account.birth_date.isoformat() if account.birth_date else None,
        "identity_verified": bool(account.identity_verified),
        "business": bool(account.business),
    }


def shop_view(shop: Shop | Any) -> dict[str, Any]:
    """A Shop, or a row of its columns with `official_username` (lookup.shop_row)."""
    if isinstance(shop, Shop):
        official = shop.official_account.username if shop.official_account else None
    else:
        official = shop.official_username
    return {
        "id": shop.id,
        "name": shop.name,
        "region": shop.region,
        "probation_ends_at": iso(shop.probation_ends_at),
        "official_account": official,
    }


def event_view(event: LinkEvent) -> dict[str, Any]:
    view: dict[str, Any] = {
        "event": event.event,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor,
        "at": iso(event.at),
        "recorded_at": iso(event.recorded_at),
    }
    if event.details:
        view["details"] = event.details
    return view


def listed_link_view(row: Any) -> dict[str, Any]:
    """`link_view` of a row read with the link's columns and its shop's name and account's
    username, nickname and email labelled `shop_name`, `account_username`... (a listing)."""
    return _link_fields(row, row.shop_name, row.account_username, row.account_nickname,
                        row.account_email)


def link_view(link: Link | Moving, *, history: bool = False) -> dict[str, Any]:
    view = _link_fields(link, link.shop.name, link.account.username, link.account.nickname,
                        link.account.email)
    if history:
        view["history"] = [event_view(e) for e in link.history]
    return view


def _link_fields(link: Any, shop: str, username: str, nickname: str | None,
                 email: str | None) -> dict[str, Any]:
    return {
        "id": link.id,
        "shop": shop,
        "shop_id": link.shop_id,
        "account": username,
        "nickname": nickname or None,
        "email": email or None,
        "state": link.state,
        "created_at": iso(link.created_at),
        "invited_at": iso(link.invited_at),
        "expires_at": iso(link.expires_at),
        "linked_at": iso(link.linked_at),
        "unlockable_at": iso(link.unlockable_at),
        "ended_at": iso(link.ended_at),
    }
