"""open and ended links indexed apart: by `ended_at`, which only a link's ending changes

A link's state changes at every transition, and SQLite rewrites the entry of every index
whose key or partial WHERE mentions a changed column. Keyed by shop, those entries sit a
page or two apart in every shop, so a sweep's batch (due links in every shop) dirtied
thousands of pages beside a backlog where alone it dirtied a few dozen.

- The unique index of open links now says "open" as `ended_at IS NULL` (a link gets its
  `ended_at` when, and only when, it enters a final state: vocabulary.entered). Same rows,
  but an unlock or an acceptance leaves its entry alone; only an ending takes it out.
- A shop's open links are read through that index (a handful: its slots and unanswered
  attempts), its ended ones through `ix_links_shop_ended`, which replaces the index on
  (shop_id, state) that every transition rewrote. Its WHERE names the final states, not
  `ended_at`, so that counting a shop's ended links by state reads the index alone; a
  transition between open states is in it neither before nor after, and writes nothing
  there.

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

# Written out as the queries write them (lookup.open_only, lookup.ended_only): SQLite uses
# a partial index only for a query that repeats its WHERE term.
OPEN = sa.text("ended_at IS NULL")
ENDED = sa.text("state IN ('rejected', 'declined', 'cancelled', 'expired', 'unlinked')")
OPEN_STATES = "('searched', 'verified', 'invited', 'linked', 'unlinkable')"


def upgrade() -> None:
    # Every ending writes `ended_at` with its final state (vocabulary.entered); a row that
    # lacks it all the same (or has one while open: written by hand, say) is mended first,
    # so the new unique index holds exactly the open links, as the old one did.
    op.execute(f"UPDATE links SET ended_at = coalesce((SELECT max(at) FROM link_events "
               f"WHERE link_events.link_id = links.id), created_at) "
               f"WHERE state NOT IN {OPEN_STATES} AND ended_at IS NULL")
    op.execute(f"UPDATE links SET ended_at = NULL WHERE state IN {OPEN_STATES} "
               f"AND ended_at IS NOT NULL")
    op.drop_index("uq_links_open_shop_account", table_name="links")
    op.create_index("uq_links_open_shop_account", "links", ["shop_id", "account_id"],
                    unique=True, postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_links_shop_ended", "links", ["shop_id", "state"],
                    postgresql_where=ENDED, sqlite_where=ENDED)
    op.drop_index("ix_links_shop_state", table_name="links")


def downgrade() -> None:
    op.create_index("ix_links_shop_state", "links", ["shop_id", "state"])
    op.drop_index("ix_links_shop_ended", table_name="links")
    op.drop_index("uq_links_open_shop_account", table_name="links")
    by_state = sa.text(f"state IN {OPEN_STATES}")
    op.create_index("uq_links_open_shop_account", "links", ["shop_id", "account_id"],
                    unique=True, postgresql_where=by_state, sqlite_where=by_state)
