"""What operators read: daemon heartbeats and the audit log of shop and account changes.

Declared apart from workflows/models.py so a command that does not use them never
declares or configures them (start-up, issue 12).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from shoplink.workflows.models import Base
from shoplink.workflows.types import UTCDateTime


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


class AuditEntry(Base):
    """One change of a shop or an account: who made it, when, and each field's old and new value.

    Like link history, rows are only ever added; `prune` never touches them.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (sa.Index("ix_audit_entries_subject", "subject", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(10))  # "shop" or "account"
    subject_id: Mapped[int] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(40))
    actor: Mapped[str] = mapped_column(sa.String(140))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    changes: Mapped[dict] = mapped_column(sa.JSON)
