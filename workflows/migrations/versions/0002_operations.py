"""operations: the event outbox (filled by a trigger on link_events), its readers, heartbeats

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoplink.workflows.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# What the app and Seller Center see, named by the state a transition reaches.
OUTBOX_TYPES = {
    "searched": "link.searched",
    "verified": "link.verified",
    "rejected": "link.rejected",
    "invited": "invitation.sent",
    "declined": "invitation.declined",
    "expired": "invitation.expired",
    "cancelled": "link.cancelled",
    "linked": "link.linked",
    "unlinkable": "link.unlinkable",
    "unlinked": "link.unlinked",
}
# pg_advisory_xact_lock key held from an outbox row's id until its commit.
OUTBOX_LOCK = 0x5_0B0C_0001
OUTBOX_COLUMNS = (
    "type, link_id, shop_id, account_id, history_id, event, from_state, to_state, actor, at, "
    "recorded_at"
)


def _outbox_select(new: str) -> str:
    cases = " ".join(f"WHEN '{state}' THEN '{kind}'" for state, kind in OUTBOX_TYPES.items())
    return (
        f"SELECT CASE {new}.to_state {cases} ELSE 'link.' || {new}.to_state END, "
        f"{new}.link_id, l.shop_id, l.account_id, {new}.id, {new}.event, {new}.from_state, "
        f"{new}.to_state, {new}.actor, {new}.at, {new}.recorded_at "
        f"FROM links AS l WHERE l.id = {new}.link_id"
    )


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("history_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["links.id"], name=op.f("fk_outbox_events_link_id_links")
        ),
        sa.ForeignKeyConstraint(
            ["history_id"], ["link_events.id"], name=op.f("fk_outbox_events_history_id_link_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("history_id", name=op.f("uq_outbox_events_history_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_outbox_events_link_id"), "outbox_events", ["link_id"])
    op.create_table(
        "outbox_consumers",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_consumers")),
    )
    op.create_table(
        "daemon_heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("last_beat_at", UTCDateTime(), nullable=False),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daemon_heartbeats")),
    )
    op.create_index("ix_daemon_heartbeats_last_beat_at", "daemon_heartbeats", ["last_beat_at"])
    _create_outbox_trigger()


def _create_outbox_trigger() -> None:
    """Every history row also becomes an outbox row, in the same transaction.

    PostgreSQL: a deferred constraint trigger, so the row (and its id) is written at
    commit under an advisory lock held until the commit is visible; ids therefore become
    visible in increasing order and a reader resuming after id N can never miss a
    smaller id committed later. SQLite has one writer at a time, so a plain trigger
    gives the same guarantee.
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION link_events_to_outbox() RETURNS trigger AS $$ BEGIN "
            f"PERFORM pg_advisory_xact_lock({OUTBOX_LOCK}); "
            f"INSERT INTO outbox_events ({OUTBOX_COLUMNS}) {_outbox_select('NEW')}; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE CONSTRAINT TRIGGER link_events_to_outbox AFTER INSERT ON link_events "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION link_events_to_outbox()"
        )
        return
    op.execute(
        "CREATE TRIGGER link_events_to_outbox AFTER INSERT ON link_events BEGIN "
        f"INSERT INTO outbox_events ({OUTBOX_COLUMNS}) {_outbox_select('NEW')}; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER link_events_to_outbox ON link_events")
        op.execute("DROP FUNCTION link_events_to_outbox()")
    else:
        op.execute("DROP TRIGGER link_events_to_outbox")
    op.drop_index("ix_daemon_heartbeats_last_beat_at", table_name="daemon_heartbeats")
    op.drop_table("daemon_heartbeats")
    op.drop_table("outbox_consumers")
    op.drop_index(op.f("ix_outbox_events_link_id"), table_name="outbox_events")
    op.drop_table("outbox_events")
