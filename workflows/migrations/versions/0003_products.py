"""products: the catalogue and the showcase

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoplink.workflows.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_products_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("shop_id", "sku", name=op.f("uq_products_shop_id_sku")),
    )
    op.create_index("ix_products_sku", "products", ["sku"], unique=False)
    op.create_table(
        "showcase_items",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_showcase_items_link_id_links")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_showcase_items_product_id_products")
        ),
        sa.PrimaryKeyConstraint("link_id", "product_id", name=op.f("pk_showcase_items")),
    )
    op.create_index(
        "ix_showcase_items_product_id", "showcase_items", ["product_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_showcase_items_product_id", table_name="showcase_items")
    op.drop_table("showcase_items")
    op.drop_index("ix_products_sku", table_name="products")
    op.drop_table("products")
