"""ended links index: a shop's links by state, for ended links only

A link's state changes at every transition, and an index keyed by it moves the link's
entry each time. A shop's open links (its slots and its unanswered attempts, a handful)
are found through the unique index of open links; its ended links, which pile up for
ever, keep an index of their own that no transition between open states touches.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Written out as the queries that use it write it (lookup.ended_only): SQLite uses a
# partial index only for a query that repeats its WHERE term.
ENDED = sa.text("state IN ('rejected', 'declined', 'cancelled', 'expired', 'unlinked')")


def upgrade() -> None:
    op.create_index("ix_links_shop_ended", "links", ["shop_id", "state"],
                    postgresql_where=ENDED, sqlite_where=ENDED)
    op.drop_index("ix_links_shop_state", table_name="links")


def downgrade() -> None:
    op.create_index("ix_links_shop_state", "links", ["shop_id", "state"])
    op.drop_index("ix_links_shop_ended", table_name="links")
