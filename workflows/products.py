"""The service layer for a shop's catalogue: add, update, import, list, and the shop page."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import lookup
from shoplink.workflows.clock import iso
from shoplink.workflows.errors import BadInput, NotFound, quoted
from shoplink.workflows.models import Product
from shoplink.workflows.records import read_rows
from shoplink.workflows.uow import UnitOfWork

PRODUCT_STATUSES = ("active", "inactive")
FIELDS = ("sku", "title", "price", "status")
SKU = re.compile(r"\S{1,64}")
CENT = Decimal("0.01")
MAX_PRICE = Decimal("9999999999.99")  # what Numeric(12, 2) holds


def parse_sku(raw: str) -> str:
    value = str(raw).strip()
    if not SKU.fullmatch(value) or _has_control(value):
        raise BadInput(f"invalid SKU {quoted(raw)}: use 1-64 characters without spaces")
    return value


def parse_title(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value:
        raise BadInput("title must not be blank")
    if len(value) > 255:
        raise BadInput(f"title is {len(value)} characters long; the limit is 255")
    if _has_control(value):
        raise BadInput("title contains control characters")
    return value


def parse_price(raw: str | int | float | Decimal | None) -> Decimal | None:
    """An amount such as 12.50: never negative, at most 2 decimal places."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise BadInput(f"price must be an amount such as 12.50, not {type(raw).__name__}")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise BadInput(f"invalid price {quoted(raw)}: use an amount such as 12.50") from None
    if not value.is_finite():
        raise BadInput(f"invalid price {quoted(raw)}: use an amount such as 12.50")
    if value < 0:
        raise BadInput(f"invalid price {quoted(raw)}: a price cannot be negative")
    if value > MAX_PRICE:
        raise BadInput(f"invalid price {quoted(raw)}: the largest price is {MAX_PRICE}")
    if value != value.quantize(CENT):
        raise BadInput(f"invalid price {quoted(raw)}: at most 2 decimal places")
    return abs(value.quantize(CENT))  # abs: a typed -0 is stored as 0.00


def parse_status(raw: str | None) -> str:
    value = (raw or "active").strip().lower()
    if value not in PRODUCT_STATUSES:
        raise BadInput(f"invalid status {quoted(raw)}: use one of {', '.join(PRODUCT_STATUSES)}")
    return value


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated fields, only those given (None means not given); sku always."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise BadInput(f"unknown field {quoted(unknown[0])}: use {', '.join(FIELDS)}")
    if not fields.get("sku"):
        raise BadInput("sku is required")
    parsers: dict[str, Any] = {
        "sku": parse_sku, "title": parse_title, "price": parse_price, "status": parse_status,
    }
    clean = {}
    for name, value in fields.items():
        if value is None:
            continue
        if name != "price" and not isinstance(value, str):
            raise BadInput(f"{name} must be text, not {type(value).__name__}")
        clean[name] = parsers[name](value)
    return clean


def product_view(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "shop": product.shop.name,
        "shop_id": product.shop_id,
        "sku": product.sku,
        "title": product.title,
        "price": None if product.price is None else f"{product.price:.2f}",
        "status": product.status,
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
    }


def _find(session: Session, shop_id: int, skus: list[str]) -> dict[str, Product]:
    found: dict[str, Product] = {}
    for start in range(0, len(skus), 500):
        query = sa.select(Product).where(
            Product.shop_id == shop_id, Product.sku.in_(skus[start:start + 500])
        )
        found.update((p.sku, p) for p in session.execute(query).unique().scalars())
    return found


def add_product(uow: UnitOfWork, shop_ref: str, raw_sku: str, now: datetime, *,
                title: str | None, price: str | None = None,
                status: str | None = None) -> dict[str, Any]:
    """Add one product; a SKU already in the shop is refused as bad input."""
    clean = _clean({"sku": raw_sku, "title": title or "", "price": price, "status": status})
    with uow:
        shop = uow.lock_shop(lookup.shop(uow.session, shop_ref).id)
        if _find(uow.session, shop.id, [clean["sku"]]):
            raise BadInput(f"shop {shop.name!r} already has SKU {quoted(clean['sku'])}: "
                           f"use `product update` to change it")
        clean.setdefault("status", "active")
        product = Product(shop=shop, **clean, created_at=now, updated_at=now)
        uow.session.add(product)
        uow.session.flush()
        view = product_view(product)
        uow.commit()
    return view


def update_product(uow: UnitOfWork, shop_ref: str, raw_sku: str, now: datetime,
                   **fields: str | None) -> dict[str, Any]:
    """Change the title, price or status of one product (inactive leaves the shop page)."""
    clean = _clean({"sku": raw_sku, **fields})
    if len(clean) == 1:
        raise BadInput("nothing to change: give --title, --price or --status")
    with uow:
        shop = uow.lock_shop(lookup.shop(uow.session, shop_ref).id)
        product = _find(uow.session, shop.id, [clean["sku"]]).get(clean["sku"])
        if product is None:
            raise NotFound(f"shop {shop.name!r} has no product with SKU {quoted(clean['sku'])}")
        for key, value in clean.items():
            setattr(product, key, value)
        product.updated_at = now
        uow.session.flush()
        view = product_view(product)
        uow.commit()
    return view


def _read_products(path: Path) -> dict[str, tuple[int, dict[str, Any]]]:
    records: dict[str, tuple[int, dict[str, Any]]] = {}
    for number, fields in read_rows(path, key="sku"):
        try:
            clean = _clean(fields)
        except BadInput as error:
            raise BadInput(f"line {number}: {error.message}") from None
        if clean["sku"] in records:
            raise BadInput(f"line {number}: SKU {quoted(clean['sku'])} is already on line "
                           f"{records[clean['sku']][0]}")
        records[clean["sku"]] = (number, clean)
    return records


def import_products(uow: UnitOfWork, shop_ref: str, path: Path, now: datetime) -> dict[str, int]:
    """Add or update every product of the file, or none: the first bad line is named.

    Set-based: one executemany of inserts and one of updates by primary key.
    """
    records = _read_products(path)
    with uow:
        shop = uow.lock_shop(lookup.shop(uow.session, shop_ref).id)
        existing = _ids(uow.session, shop.id, list(records))
        fresh, changed = [], []
        for key, (number, clean) in records.items():
            if key in existing:
                changed.append({**clean, "id": existing[key], "updated_at": now})
            elif "title" not in clean:
                raise BadInput(f"line {number}: title is required for the new SKU {quoted(key)}")
            else:
                fresh.append({"price": None, "status": "active", **clean, "shop_id": shop.id,
                              "created_at": now, "updated_at": now})
        if fresh:
            uow.session.execute(sa.insert(Product), fresh)
        if changed:
            uow.session.execute(sa.update(Product), changed)
        uow.commit()
    return {"added": len(fresh), "updated": len(changed)}


def _ids(session: Session, shop_id: int, skus: list[str]) -> dict[str, int]:
    """SKU -> id for those of `skus` in the shop; a big file reads the shop's index range once."""
    query = sa.select(Product.sku, Product.id).where(Product.shop_id == shop_id)
    if len(skus) > 500:
        wanted = set(skus)
        return {sku: key for sku, key in session.execute(query) if sku in wanted}
    return {sku: key for sku, key in session.execute(query.where(Product.sku.in_(skus)))}


def list_products(uow: UnitOfWork, shop_ref: str, *,
                  status: str | None = None) -> list[dict[str, Any]]:
    """The shop's catalogue by SKU, optionally only the active or inactive products."""
    wanted = parse_status(status) if status else None
    with uow:
        shop = lookup.shop(uow.session, shop_ref)
        return _products(uow.session, shop.id, wanted)


def shop_page(session: Session, shop_id: int) -> list[dict[str, Any]]:
    """What the official account shows: every active product, with no manual step."""
    return _products(session, shop_id, "active")


def _products(session: Session, shop_id: int, wanted: str | None) -> list[dict[str, Any]]:
    query = sa.select(Product).where(Product.shop_id == shop_id).order_by(Product.sku)
    if wanted:
        query = query.where(Product.status == wanted)
    return [product_view(p) for p in session.execute(query).unique().scalars()]
