"""Products and the showcases of marketing links: what a linked account shows.

Declared apart from workflows/models.py so a command that does not use them never
declares or configures them (start-up, issue 12).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shoplink.workflows.models import Base, Shop
from shoplink.workflows.types import UTCDateTime


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "sku"),
        # Finds a SKU in any shop, to tell another shop's product from a typo.
        sa.Index("ix_products_sku", "sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    sku: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(255))
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Many products share one shop: loaded once per session, not joined to every row.
    shop: Mapped[Shop] = relationship()


class ShowcaseItem(Base):
    """A product on a marketing link's showcase; rows live only while the link holds."""

    __tablename__ = "showcase_items"
    __table_args__ = (sa.Index("ix_showcase_items_product_id", "product_id"),)

    link_id: Mapped[int] = mapped_column(sa.ForeignKey("links.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship(lazy="joined")


class ShowcaseEvent(Base):
    """One row per showcase change (`product_added`, `product_removed`, `cleared`);
    append-only. A trigger publishes each as a `showcase.<event>` outbox row."""

    __tablename__ = "showcase_events"
    __table_args__ = (sa.Index("ix_showcase_events_link_id", "link_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("links.id"))
    event: Mapped[str] = mapped_column(sa.String(20))
    skus: Mapped[list[str]] = mapped_column(sa.JSON)
    actor: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
