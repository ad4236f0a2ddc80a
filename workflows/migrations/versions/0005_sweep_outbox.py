"""sweeps write their outbox rows set-based: the PostgreSQL trigger skips rows they cover

Revision ID: 0005
Revises: 0004

The per-row deferred trigger of 0002 cost the PostgreSQL sweep more than half its
throughput. A sweep batch now inserts its outbox rows in its own statement, under the
same advisory lock, and marks its transaction with `shoplink.outbox_written = on`;
the trigger's WHEN clause then queues nothing for those rows. The outbox's foreign key
to link_events goes on PostgreSQL: checked row by row it cost a sweep batch 40% of its
time, and every outbox row is written from its history row by construction. (SQLite keeps
it: dropping a constraint there means rebuilding the table, and the check is cheap.)
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CREATE = (
    "CREATE CONSTRAINT TRIGGER link_events_to_outbox AFTER INSERT ON link_events "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when}"
    "EXECUTE FUNCTION link_events_to_outbox()"
)
HISTORY_FK = "fk_outbox_events_history_id_link_events"
SKIP_WRITTEN = (
    "WHEN (current_setting('shoplink.outbox_written', true) IS DISTINCT FROM 'on') "
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER link_events_to_outbox ON link_events")
    op.execute(CREATE.format(when=SKIP_WRITTEN))
    op.drop_constraint(HISTORY_FK, "outbox_events", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_foreign_key(HISTORY_FK, "outbox_events", "link_events", ["history_id"], ["id"])
    op.execute("DROP TRIGGER link_events_to_outbox ON link_events")
    op.execute(CREATE.format(when=""))
