"""The limit a sweep is measured against: the fastest raw SQL that does the same work.

Per event, one INSERT ... SELECT of the history rows and one UPDATE, all in one
transaction. The work includes the event outbox: on SQLite its trigger fires for every
history row in both the sweep and this baseline; on PostgreSQL the sweep writes its
outbox rows set-based (the trigger skips them), so the baseline does too, from the same
scan that feeds the history INSERT.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from shoplink.workflows.outbox import OUTBOX_LOCK, OUTBOX_TYPES, OUTBOX_WRITTEN_SETTING
from shoplink.workflows.types import UTCDateTime

EVENTS = (  # event, from, to, deadline column, whether the link ends
    ("expire", "invited", "expired", "expires_at", True),
    ("unlock", "linked", "unlinkable", "unlockable_at", False),
)
HISTORY = "link_id, event, from_state, to_state, actor, at, recorded_at"
OUTBOX = ("type, link_id, shop_id, account_id, history_id, event, from_state, to_state, actor, "
          "at, recorded_at")


def _record(event: str, source: str, target: str, deadline: str, postgresql: bool) -> str:
    values = f"'{event}', '{source}', '{target}', 'system'"
    where = f"FROM links WHERE state = '{source}' AND {deadline} <= :now"
    if not postgresql:
        return f"INSERT INTO link_events ({HISTORY}) SELECT id, {values}, {deadline}, :now {where}"
    return (
        f"WITH due AS (SELECT id, shop_id, account_id, {deadline} AS deadline, "
        f"nextval(pg_get_serial_sequence('link_events', 'id')) AS history_id {where}), "
        f"history AS (INSERT INTO link_events (id, {HISTORY}) "
        f"SELECT history_id, id, {values}, deadline, :now FROM due) "
        f"INSERT INTO outbox_events ({OUTBOX}) SELECT '{OUTBOX_TYPES[target]}', id, shop_id, "
        f"account_id, history_id, {values}, deadline, :now FROM due ORDER BY history_id"
    )


def baseline_sql(engine: sa.Engine, now: datetime) -> int:
    """Move every due row at `now` with its history (and outbox) rows; one commit."""
    postgresql = engine.dialect.name == "postgresql"
    at_now = sa.bindparam("now", now, type_=UTCDateTime())
    moved = 0
    with engine.begin() as connection:
        if postgresql:
            connection.execute(sa.select(sa.func.set_config(OUTBOX_WRITTEN_SETTING, "on", True),
                                         sa.func.pg_advisory_xact_lock(OUTBOX_LOCK)))
        for event, source, target, deadline, ends in EVENTS:
            connection.execute(sa.text(_record(event, source, target, deadline, postgresql))
                               .bindparams(at_now))
            ended = f", ended_at = {deadline}" if ends else ""
            moved += connection.execute(sa.text(
                f"UPDATE links SET state = '{target}'{ended} "
                f"WHERE state = '{source}' AND {deadline} <= :now").bindparams(at_now)).rowcount
    return moved
