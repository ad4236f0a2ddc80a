"""The tables every link command reads: shops, accounts, links and their history, and the
event outbox with its readers.

The other tables are declared in their own modules (models_showcase, models_access,
models_webhooks, models_operations): declaring a table and configuring its mapper on the
first query is most of what a command pays beyond importing SQLAlchemy, so a command
declares only the tables it uses. Importing one of them from here still works.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shoplink.workflows.types import UTCDateTime, sortable_text

if TYPE_CHECKING:  # what __getattr__ below hands out, as mypy should see it
    from shoplink.workflows.models_access import (  # noqa: F401
        ApiToken,
        IdempotencyRecord,
        WebSession,
    )
    from shoplink.workflows.models_operations import AuditEntry, DaemonHeartbeat  # noqa: F401
    from shoplink.workflows.models_showcase import (  # noqa: F401
        Product,
        ShowcaseEvent,
        ShowcaseItem,
    )
    from shoplink.workflows.models_webhooks import (  # noqa: F401
        WebhookAttempt,
        WebhookDelivery,
        WebhookEndpoint,
    )

DECLARED_ELSEWHERE = {
    **dict.fromkeys(("ApiToken", "IdempotencyRecord", "WebSession"), "models_access"),
    **dict.fromkeys(("AuditEntry", "DaemonHeartbeat"), "models_operations"),
    **dict.fromkeys(("Product", "ShowcaseEvent", "ShowcaseItem"), "models_showcase"),
    **dict.fromkeys(("WebhookAttempt", "WebhookDelivery", "WebhookEndpoint"), "models_webhooks"),
}


def __getattr__(name: str) -> Any:
    """`from shoplink.workflows.models import ApiToken` declares ApiToken's module on use."""
    module = DECLARED_ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"shoplink.workflows.{module}"), name)


def declare_all() -> None:
    """Declare every table on Base.metadata (Alembic's autogenerate compares all of them)."""
    for module in sorted(set(DECLARED_ELSEWHERE.values())):
        importlib.import_module(f"shoplink.workflows.{module}")


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sortable_text(24), unique=True)
    nickname: Mapped[str] = mapped_column(sa.String(30), default="")
    nickname_key: Mapped[str] = mapped_column(sortable_text(120), default="", index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    region: Mapped[str] = mapped_column(sa.String(2), default="US")
    birth_date: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    identity_verified: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    business: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    region: Mapped[str] = mapped_column(sa.String(2), default="US")
    probation_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    official_account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accounts.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    official_account: Mapped[Account | None] = relationship(lazy="joined")


class Link(Base):
    __tablename__ = "links"
    __table_args__ = (
        sa.Index("ix_links_shop_linked_at", "shop_id", "linked_at"),
        sa.Index("ix_links_account_linked_at", "account_id", "linked_at"),
        sa.Index("ix_links_account_state", "account_id", "state"),
        # The partial indexes (due deadlines; one open link per shop and account, which also
        # finds a shop's open links; a shop's ended links by state) live in
        # the migrations only: declaring `postgresql_where` here would import SQLAlchemy's
        # whole PostgreSQL dialect into every command, SQLite's too (a fifth of start-up).
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    state: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unlockable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shop: Mapped[Shop] = relationship(lazy="joined")
    account: Mapped[Account] = relationship(lazy="joined")
    history: Mapped[list[LinkEvent]] = relationship(
        order_by="LinkEvent.id", cascade="save-update, merge", lazy="select"
    )

    def record(self, row: Mapping[str, Any], details: dict[str, Any] | None = None) -> None:
        """Append the history row of one transition (machine.recorded describes it)."""
        self.history.append(LinkEvent(**row, details=details))


class LinkEvent(Base):
    """One row per transition; rows are never updated or deleted (triggers enforce it)."""

    __tablename__ = "link_events"
    __table_args__ = (sa.Index("ix_link_events_link_id", "link_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("links.id"))
    event: Mapped[str] = mapped_column(sa.String(20))
    from_state: Mapped[str | None] = mapped_column(sa.String(12))
    to_state: Mapped[str] = mapped_column(sa.String(12))
    actor: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict | None] = mapped_column(sa.JSON)


class OutboxEvent(Base):
    """One row per transition or showcase change, written by a database trigger on
    link_events or showcase_events in its transaction, and one per change of a shop or an
    account that others must hear of (outbox.publish), which has no link or history row.

    Ids are handed out at commit, under a lock, so they become visible in id order: a
    reader that remembers its last id never skips one (see workflows/outbox.py).
    """

    __tablename__ = "outbox_events"
    # Ids are never reused (SQLite: AUTOINCREMENT): the migrations declare it. Declaring
    # `sqlite_autoincrement` here would import SQLAlchemy's SQLite dialect into every
    # PostgreSQL command.

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("links.id"), index=True)
    shop_id: Mapped[int | None] = mapped_column(sa.Integer)
    account_id: Mapped[int | None] = mapped_column(sa.Integer)
    # A transition's row names its history row; a showcase change's, its showcase event.
    history_id: Mapped[int | None] = mapped_column(sa.ForeignKey("link_events.id"), unique=True)
    showcase_event_id: Mapped[int | None] = mapped_column(sa.Integer, unique=True)
    event: Mapped[str] = mapped_column(sa.String(20))
    from_state: Mapped[str | None] = mapped_column(sa.String(12))
    to_state: Mapped[str | None] = mapped_column(sa.String(12))
    actor: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Showcase changes (their SKUs) and events of shops and accounts say what changed here.
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class OutboxConsumer(Base):
    """Where a named reader of the outbox got to: the last id it has been handed."""

    __tablename__ = "outbox_consumers"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
