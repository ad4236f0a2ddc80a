"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29 16:32:20.998754
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoplink.workflows.types import UTCDateTime, sortable_text

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sortable_text(24), nullable=False),
        sa.Column("nickname", sa.String(length=30), nullable=False),
        sa.Column("nickname_key", sortable_text(120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("username", name=op.f("uq_accounts_username")),
    )
    op.create_index(op.f("ix_accounts_nickname_key"), "accounts", ["nickname_key"], unique=False)

    op.create_table(
        "shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("probation_ends_at", UTCDateTime(), nullable=True),
        sa.Column("official_account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_account_id"],
            ["accounts.id"],
            name=op.f("fk_shops_official_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shops")),
        sa.UniqueConstraint("name", name=op.f("uq_shops_name")),
        sa.UniqueConstraint("official_account_id", name=op.f("uq_shops_official_account_id")),
    )
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("invited_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("linked_at", UTCDateTime(), nullable=True),
        sa.Column("unlockable_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_links_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_links_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
    )
    op.create_index(
        "ix_links_account_linked_at", "links", ["account_id", "linked_at"], unique=False
    )
    op.create_index("ix_links_account_state", "links", ["account_id", "state"], unique=False)
    op.create_index(
        "ix_links_due_expire",
        "links",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("state = 'invited'"),
        sqlite_where=sa.text("state = 'invited'"),
    )
    op.create_index(
        "ix_links_due_unlock",
        "links",
        ["unlockable_at"],
        unique=False,
        postgresql_where=sa.text("state = 'linked'"),
        sqlite_where=sa.text("state = 'linked'"),
    )
    op.create_index("ix_links_shop_linked_at", "links", ["shop_id", "linked_at"], unique=False)
    op.create_index("ix_links_shop_state", "links", ["shop_id", "state"], unique=False)
    op.create_index(
        "uq_links_open_shop_account",
        "links",
        ["shop_id", "account_id"],
        unique=True,
        postgresql_where=sa.text(
            "state IN ('searched', 'verified', 'invited', 'linked', 'unlinkable')"
        ),
        sqlite_where=sa.text(
            "state IN ('searched', 'verified', 'invited', 'linked', 'unlinkable')"
        ),
    )

    op.create_table(
        "link_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_link_events_link_id_links")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_events")),
    )
    op.create_index("ix_link_events_link_id", "link_events", ["link_id", "id"], unique=False)

    _forbid_history_changes()


APPEND_ONLY_MESSAGE = "link_events is append-only"


def _forbid_history_changes() -> None:
    """History rows are never updated or deleted; the database refuses it too."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION link_events_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER link_events_append_only BEFORE UPDATE OR DELETE ON link_events "
            "FOR EACH ROW EXECUTE FUNCTION link_events_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER link_events_no_{action.lower()} BEFORE {action} ON link_events "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER link_events_append_only ON link_events")
        op.execute("DROP FUNCTION link_events_append_only()")
    else:
        op.execute("DROP TRIGGER link_events_no_update")
        op.execute("DROP TRIGGER link_events_no_delete")
    op.drop_index("ix_link_events_link_id", table_name="link_events")

    op.drop_table("link_events")
    op.drop_index("uq_links_open_shop_account", table_name="links")
    op.drop_index("ix_links_shop_state", table_name="links")
    op.drop_index("ix_links_shop_linked_at", table_name="links")
    op.drop_index("ix_links_due_unlock", table_name="links")
    op.drop_index("ix_links_due_expire", table_name="links")
    op.drop_index("ix_links_account_state", table_name="links")
    op.drop_index("ix_links_account_linked_at", table_name="links")

    op.drop_table("links")
    op.drop_table("shops")
    op.drop_index(op.f("ix_accounts_nickname_key"), table_name="accounts")

    op.drop_table("accounts")
