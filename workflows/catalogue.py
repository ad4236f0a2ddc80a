"""The persisted catalogue: a shop's products, and the products a marketing link shows.

The official account's shop page is not stored: it is the shop's active products.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from shoplink.workflows.models import Base, Link, LinkEvent, Shop
from shoplink.workflows.types import UTCDateTime

PRODUCT_STATUSES = ("active", "inactive")
SHOWCASE_STATES = ("linked", "unlinkable")


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


def record_showcase(link: Link, event: str, skus: list[str], now: datetime,
                    actor: str = "seller") -> None:
    """A history row for a showcase change: the link's state stays as it is."""
    link.history.append(
        LinkEvent(event=event, from_state=link.state, to_state=link.state, actor=actor, at=now,
                  recorded_at=now, details={"skus": skus})
    )


def clear_showcase(session: Session, link: Link, now: datetime, actor: str = "seller") -> None:
    """Empty the showcase of a link that ended, recorded as `showcase_clear` with its SKUs."""
    skus = list(session.execute(
        sa.select(Product.sku).join(ShowcaseItem, ShowcaseItem.product_id == Product.id)
        .where(ShowcaseItem.link_id == link.id).order_by(Product.sku)
    ).scalars())
    if not skus:
        return
    session.execute(sa.delete(ShowcaseItem).where(ShowcaseItem.link_id == link.id))
    record_showcase(link, "showcase_clear", skus, now, actor)
