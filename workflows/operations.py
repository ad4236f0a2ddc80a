"""Tables for running shoplink: the event outbox, its readers' positions, daemon heartbeats."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shoplink.workflows.models import Base
from shoplink.workflows.types import UTCDateTime

# What the app and Seller Center see, named by the state a transition reaches. Migration
# 0002's trigger holds a frozen copy; a test keeps the two equal.
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
# The pg_advisory_xact_lock key held from an outbox id's assignment until its commit.
OUTBOX_LOCK = 0x5_0B0C_0001
# A sweep that wrote its own outbox rows says so, so the trigger of 0005 skips them.
OUTBOX_WRITTEN_SETTING = "shoplink.outbox_written"


class OutboxEvent(Base):
    """One row per transition, written by a database trigger on link_events in its transaction,
    and one per change of a shop or an account that others must hear of (workflows/changes.py),
    which has no link or history row.

    Ids are handed out at commit, under a lock, so they become visible in id order: a
    reader that remembers its last id never skips one (see workflows/outbox.py).
    """

    __tablename__ = "outbox_events"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("links.id"), index=True)
    shop_id: Mapped[int | None] = mapped_column(sa.Integer)
    account_id: Mapped[int | None] = mapped_column(sa.Integer)
    history_id: Mapped[int | None] = mapped_column(sa.ForeignKey("link_events.id"), unique=True)
    event: Mapped[str] = mapped_column(sa.String(20))
    from_state: Mapped[str | None] = mapped_column(sa.String(12))
    to_state: Mapped[str | None] = mapped_column(sa.String(12))
    actor: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Events of shops and accounts (not of a link) say what changed here.
    details: Mapped[dict | None] = mapped_column(sa.JSON)


class OutboxConsumer(Base):
    """Where a named reader of the outbox got to: the last id it has been handed."""

    __tablename__ = "outbox_consumers"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DaemonHeartbeat(Base):
    """One row per daemon run; `shoplink status` lists those that beat recently."""

    __tablename__ = "daemon_heartbeats"
    __table_args__ = (sa.Index("ix_daemon_heartbeats_last_beat_at", "last_beat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int] = mapped_column(sa.Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
