"""The service layer for a marketing link's showcase: the products the seller puts on show.

A showcase changes only while its link holds (`linked`, `unlinkable`); each change is a
showcase event of its own (not a link transition), published to the outbox as
`showcase.product_added`, `showcase.product_removed` or `showcase.cleared`. Unlinking
empties the showcase (links.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import lookup
from shoplink.workflows.clock import iso
from shoplink.workflows.errors import BadInput, NotFound, Refused, Violation, quoted
from shoplink.workflows.machine import HOLDING_STATES
from shoplink.workflows.models import Link, Product, ShowcaseEvent, ShowcaseItem
from shoplink.workflows.products import parse_sku
from shoplink.workflows.timers import settle
from shoplink.workflows.uow import UnitOfWork


def add_to_showcase(uow: UnitOfWork, raw_id: str | int, skus: list[str],
                    now: datetime) -> dict[str, Any]:
    """Put active products of the link's shop on show; one already there is left as it is."""
    wanted = _skus(skus)
    with uow:
        link = _settled_link(uow, raw_id, now)
        products = _check(uow, link, wanted, adding=True)
        shown = _shown_ids(uow.session, link.id)
        fresh = [p for p in products if p.id not in shown]
        uow.session.add_all(ShowcaseItem(link_id=link.id, product_id=p.id, added_at=now)
                            for p in fresh)
        if fresh:
            record_showcase(uow.session, link, "product_added", [p.sku for p in fresh], now)
        uow.session.flush()
        view = _view(uow.session, link, added=[p.sku for p in fresh])
        uow.commit()
    return view


def remove_from_showcase(uow: UnitOfWork, raw_id: str | int, skus: list[str],
                         now: datetime) -> dict[str, Any]:
    """Take products off show (inactive ones too); one not on show is left as it is."""
    wanted = _skus(skus)
    with uow:
        link = _settled_link(uow, raw_id, now)
        products = _check(uow, link, wanted, adding=False)
        shown = _shown_ids(uow.session, link.id)
        gone = [p for p in products if p.id in shown]
        if gone:
            uow.session.execute(sa.delete(ShowcaseItem).where(
                ShowcaseItem.link_id == link.id,
                ShowcaseItem.product_id.in_([p.id for p in gone])))
            record_showcase(uow.session, link, "product_removed", [p.sku for p in gone], now)
        uow.session.flush()
        view = _view(uow.session, link, removed=[p.sku for p in gone])
        uow.commit()
    return view


def show_showcase(uow: UnitOfWork, raw_id: str | int, now: datetime) -> dict[str, Any]:
    """The link's showcase, in the order the products were added."""
    with uow:
        link = _settled_link(uow, raw_id, now)
        view = _view(uow.session, link)
        uow.commit()
    return view


def _skus(raw: list[str]) -> list[str]:
    if not raw:
        raise BadInput("give at least one SKU")
    return list(dict.fromkeys(parse_sku(s) for s in raw))


def _settled_link(uow: UnitOfWork, raw_id: str | int, now: datetime) -> Link:
    key = lookup.link_id(raw_id)
    settle(uow, lookup.link_shop_id(uow.session, key), now)
    return lookup.link_for_update(uow.session, key)


def _check(uow: UnitOfWork, link: Link, skus: list[str], *, adding: bool) -> list[Product]:
    """The link's shop's products for `skus`, or the refusal with every failed rule."""
    session = uow.session
    own = {p.sku: p for p in session.execute(sa.select(Product).where(
        Product.shop_id == link.shop_id, Product.sku.in_(skus))).unique().scalars()}
    others = [s for s in skus if s not in own]
    elsewhere = set(session.execute(
        sa.select(Product.sku).where(Product.sku.in_(others)).distinct()).scalars()
    ) if others else set()
    unknown = [s for s in others if s not in elsewhere]
    if unknown:
        raise NotFound(f"no product with SKU {quoted(unknown[0])}")
    violations = []
    if link.state not in HOLDING_STATES:
        violations.append(Violation(
            "link_not_active", f"link {link.id} is {link.state}: its showcase can change only "
            f"while it is {' or '.join(HOLDING_STATES)}"))
    violations += [Violation("product_not_in_shop",
                             f"product {quoted(s)} belongs to another shop, not {link.shop.name!r}")
                   for s in skus if s in elsewhere]
    if adding:
        violations += [Violation("product_inactive", f"product {quoted(s)} is inactive")
                       for s in skus if s in own and own[s].status != "active"]
    if violations:
        raise Refused(violations)
    return [own[s] for s in skus]


def _shown_ids(session: Session, link_id: int) -> set[int]:
    query = sa.select(ShowcaseItem.product_id).where(ShowcaseItem.link_id == link_id)
    return set(session.execute(query).scalars())


def _view(session: Session, link: Link, **changed: list[str]) -> dict[str, Any]:
    items = session.execute(
        sa.select(ShowcaseItem).where(ShowcaseItem.link_id == link.id)
        .order_by(ShowcaseItem.added_at, ShowcaseItem.product_id)
    ).unique().scalars()
    return {
        "link": link.id,
        "shop": link.shop.name,
        "account": link.account.username,
        "state": link.state,
        **changed,
        "items": [
            {"sku": i.product.sku, "title": i.product.title,
             "price": None if i.product.price is None else f"{i.product.price:.2f}",
             "status": i.product.status, "added_at": iso(i.added_at)}
            for i in items
        ],
    }


def record_showcase(session: Session, link: Link, event: str, skus: list[str], now: datetime,
                    actor: str = "seller") -> None:
    """A showcase change's own record (not a link transition): its trigger publishes it."""
    session.add(ShowcaseEvent(link_id=link.id, event=event, skus=skus, actor=actor, at=now,
                              recorded_at=now))


def clear_showcase(session: Session, link: Link, now: datetime, actor: str = "seller") -> None:
    """Empty the showcase of a link that ended, recorded as `cleared` with its SKUs."""
    skus = list(session.execute(
        sa.select(Product.sku).join(ShowcaseItem, ShowcaseItem.product_id == Product.id)
        .where(ShowcaseItem.link_id == link.id).order_by(Product.sku)
    ).scalars())
    if not skus:
        return
    session.execute(sa.delete(ShowcaseItem).where(ShowcaseItem.link_id == link.id))
    record_showcase(session, link, "cleared", skus, now, actor)
