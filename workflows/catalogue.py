"""The persisted catalogue: a shop's products, and the products a marketing link shows.

The official account's shop page is not stored: it is the shop's active products.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflows.models import Base, Shop
from workflows.types import UTCDateTime

PRODUCT_STATUSES = ("active", "inactive")


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (sa.UniqueConstraint("shop_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    sku: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(255))
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    shop: Mapped[Shop] = relationship(lazy="joined")


class ShowcaseItem(Base):
    """A product on a marketing link's showcase; rows live only while the link holds."""

    __tablename__ = "showcase_items"
    __table_args__ = (sa.Index("ix_showcase_items_product_id", "product_id"),)

    link_id: Mapped[int] = mapped_column(sa.ForeignKey("links.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship(lazy="joined")
