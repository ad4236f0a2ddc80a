"""changes: account identity and business flags, token expiry, the audit log, outbox events
of shops and accounts

Revision ID: 0007
Revises: 0006

Accounts gain `identity_verified` (existing ones count as verified, as `account add` does)
and `business` (true for every account that was ever linked). Outbox rows may now carry a
shop or account event with no link or history row behind it, and its `details`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoplink.workflows.types import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LOOSENED = ("link_id", "shop_id", "account_id", "history_id", "to_state")
TYPES: dict[str, sa.types.TypeEngine] = {
    "link_id": sa.Integer(), "shop_id": sa.Integer(), "account_id": sa.Integer(),
    "history_id": sa.Integer(), "to_state": sa.String(length=12),
}


def upgrade() -> None:
    op.add_column("accounts", sa.Column("identity_verified", sa.Boolean(), nullable=False,
                                        server_default=sa.true()))
    op.add_column("accounts", sa.Column("business", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.execute("UPDATE accounts SET business = true WHERE id IN "
               "(SELECT account_id FROM links WHERE linked_at IS NOT NULL)")
    op.add_column("api_tokens", sa.Column("expires_at", UTCDateTime(), nullable=True))
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=140), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_subject", "audit_entries", ["subject", "subject_id", "id"])
    _alter_outbox(nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbox_events WHERE link_id IS NULL")
    _alter_outbox(nullable=False)
    op.drop_index("ix_audit_entries_subject", table_name="audit_entries")
    op.drop_table("audit_entries")
    # Plain DROP COLUMN (SQLite 3.35+): rebuilding tables others point at would break them.
    for table, column in (("api_tokens", "expires_at"), ("accounts", "business"),
                          ("accounts", "identity_verified")):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def _alter_outbox(*, nullable: bool) -> None:
    """PostgreSQL alters in place; SQLite rebuilds the table, so the trigger that writes into
    it is set aside and put back exactly as it was (a rename checks every trigger's body)."""
    if op.get_bind().dialect.name == "postgresql":
        for column in LOOSENED:
            op.alter_column("outbox_events", column, existing_type=TYPES[column],
                            nullable=nullable)
        if nullable:
            op.add_column("outbox_events", sa.Column("details", sa.JSON(), nullable=True))
        else:
            op.drop_column("outbox_events", "details")
        return
    triggers = op.get_bind().execute(sa.text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%outbox_events%'"
    )).all()
    for name, _ in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    with op.batch_alter_table("outbox_events", recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}) as batch:
        for column in LOOSENED:
            batch.alter_column(column, existing_type=TYPES[column], nullable=nullable)
        if nullable:
            batch.add_column(sa.Column("details", sa.JSON(), nullable=True))
        else:
            batch.drop_column("details")
    for _, sql in triggers:
        op.execute(sql)
