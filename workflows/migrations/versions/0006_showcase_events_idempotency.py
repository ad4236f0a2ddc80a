"""showcase changes get their own record and outbox events; idempotency records keep a
fingerprint of their request and may await their answer

Revision ID: 0006
Revises: 0005

Showcase changes used to be link history rows with the same from and to state, so the
outbox published a second `link.linked` for a product added. They now go to
`showcase_events` (append-only), whose trigger publishes `showcase.product_added`,
`showcase.product_removed` and `showcase.cleared` outbox rows, with the SKUs in
`details` (a column 0007 adds: the trigger runs only at the newest schema); such a row
has no history row (`history_id` null) but its `showcase_event_id`.
Older showcase rows stay in link_events: history is append-only.

A key reused with another body must be refused (422 `idempotency_key_reused`), so an
idempotency record keeps the SHA-256 of its method, path and body (older records have
none: compared by method and path only). A record is filed in the action's own
transaction before its answer is known: status and body are null until just after.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shoplink.workflows.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OUTBOX_LOCK = 0x5_0B0C_0001
APPEND_ONLY_MESSAGE = "showcase_events is append-only"
COLUMNS = ("type, link_id, shop_id, account_id, showcase_event_id, event, to_state, actor, at, "
           "recorded_at, details")


def _select(details: str) -> str:
    return ("SELECT 'showcase.' || NEW.event, NEW.link_id, l.shop_id, l.account_id, NEW.id, "
            f"NEW.event, l.state, NEW.actor, NEW.at, NEW.recorded_at, {details} "
            "FROM links AS l WHERE l.id = NEW.link_id")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "showcase_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("skus", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["links.id"],
                                name=op.f("fk_showcase_events_link_id_links")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_showcase_events")),
    )
    op.create_index("ix_showcase_events_link_id", "showcase_events", ["link_id", "id"])
    if not postgresql:  # a table rebuild: the trigger that writes into it comes back after
        op.execute("DROP TRIGGER link_events_to_outbox")
    with op.batch_alter_table("outbox_events",
                              table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("history_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("showcase_event_id", sa.Integer(), nullable=True))
        batch.create_unique_constraint(op.f("uq_outbox_events_showcase_event_id"),
                                       ["showcase_event_id"])
    with op.batch_alter_table("idempotency_records") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))
        batch.alter_column("status", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("body", existing_type=sa.JSON(), nullable=True)
    if postgresql:
        op.execute(
            "CREATE FUNCTION showcase_events_to_outbox() RETURNS trigger AS $$ BEGIN "
            f"PERFORM pg_advisory_xact_lock({OUTBOX_LOCK}); "
            f"INSERT INTO outbox_events ({COLUMNS}) "
            + _select("json_build_object('skus', NEW.skus)") + "; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE CONSTRAINT TRIGGER showcase_events_to_outbox AFTER INSERT ON "
            "showcase_events DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION showcase_events_to_outbox()"
        )
        op.execute(
            "CREATE FUNCTION showcase_events_append_only() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER showcase_events_append_only BEFORE UPDATE OR DELETE ON "
            "showcase_events FOR EACH ROW EXECUTE FUNCTION showcase_events_append_only()"
        )
        return
    op.execute(_link_events_trigger())
    op.execute(
        "CREATE TRIGGER showcase_events_to_outbox AFTER INSERT ON showcase_events BEGIN "
        f"INSERT INTO outbox_events ({COLUMNS}) "
        + _select("json_object('skus', json(NEW.skus))") + "; END"
    )
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER showcase_events_no_{action.lower()} BEFORE {action} ON "
            f"showcase_events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def _link_events_trigger() -> str:
    """Migration 0002's SQLite trigger, put back after a rebuild of outbox_events."""
    return (
        "CREATE TRIGGER link_events_to_outbox AFTER INSERT ON link_events BEGIN "
        "INSERT INTO outbox_events (type, link_id, shop_id, account_id, history_id, event, "
        "from_state, to_state, actor, at, recorded_at) SELECT CASE NEW.to_state "
        + " ".join(f"WHEN '{state}' THEN '{kind}'" for state, kind in _outbox_types().items())
        + " ELSE 'link.' || NEW.to_state END, NEW.link_id, l.shop_id, l.account_id, NEW.id, "
        "NEW.event, NEW.from_state, NEW.to_state, NEW.actor, NEW.at, NEW.recorded_at "
        "FROM links AS l WHERE l.id = NEW.link_id; END"
    )


def _outbox_types() -> dict[str, str]:
    """Migration 0002's frozen copy of the outbox's names (a test keeps them equal)."""
    return {
        "searched": "link.searched", "verified": "link.verified", "rejected": "link.rejected",
        "invited": "invitation.sent", "declined": "invitation.declined",
        "expired": "invitation.expired", "cancelled": "link.cancelled",
        "linked": "link.linked", "unlinkable": "link.unlinkable", "unlinked": "link.unlinked",
    }


def downgrade() -> None:
    """Back to 0005: showcase events and their outbox rows go (history had none)."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER showcase_events_to_outbox ON showcase_events")
        op.execute("DROP FUNCTION showcase_events_to_outbox()")
        op.execute("DROP TRIGGER showcase_events_append_only ON showcase_events")
        op.execute("DROP FUNCTION showcase_events_append_only()")
    else:
        for name in ("showcase_events_to_outbox", "showcase_events_no_update",
                     "showcase_events_no_delete", "link_events_to_outbox"):
            op.execute(f"DROP TRIGGER {name}")
    op.execute("DELETE FROM outbox_events WHERE showcase_event_id IS NOT NULL")
    op.execute("DELETE FROM idempotency_records WHERE status IS NULL")
    with op.batch_alter_table("idempotency_records") as batch:
        batch.drop_column("fingerprint")
        batch.alter_column("body", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("status", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("outbox_events",
                              table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_constraint(op.f("uq_outbox_events_showcase_event_id"), type_="unique")
        batch.drop_column("showcase_event_id")
        batch.alter_column("history_id", existing_type=sa.Integer(), nullable=False)
    if not postgresql:
        op.execute(_link_events_trigger())
    op.drop_index("ix_showcase_events_link_id", table_name="showcase_events")
    op.drop_table("showcase_events")
