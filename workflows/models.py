"""Every table: shops, accounts, links and their history; products and showcases; the
event outbox, its readers and daemon heartbeats; API tokens and idempotency records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shoplink.workflows.types import UTCDateTime, sortable_text


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
        sa.Index("ix_links_shop_state", "shop_id", "state"),
        sa.Index("ix_links_shop_linked_at", "shop_id", "linked_at"),
        sa.Index("ix_links_account_linked_at", "account_id", "linked_at"),
        sa.Index("ix_links_account_state", "account_id", "state"),
        # The partial indexes (due deadlines; one open link per shop and account) live in
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


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("shop_id", "sku"),
        # Finds a SKU in any shop, to tell another shop's product from a typo.
        sa.Index("ix_products_sku", "sku"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    sku: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(255))
    price: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Many products share one shop: loaded once per session, not joined to every row.
    shop: Mapped[Shop] = relationship()


class ShowcaseItem(Base):
    """A product on a marketing link's showcase; rows live only while the link holds."""

    __tablename__ = "showcase_items"
    __table_args__ = (sa.Index("ix_showcase_items_product_id", "product_id"),)

    link_id: Mapped[int] = mapped_column(sa.ForeignKey("links.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    product: Mapped[Product] = relationship(lazy="joined")


class ShowcaseEvent(Base):
    """One row per showcase change (`product_added`, `product_removed`, `cleared`);
    append-only. A trigger publishes each as a `showcase.<event>` outbox row."""

    __tablename__ = "showcase_events"
    __table_args__ = (sa.Index("ix_showcase_events_link_id", "link_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("links.id"))
    event: Mapped[str] = mapped_column(sa.String(20))
    skus: Mapped[list[str]] = mapped_column(sa.JSON)
    actor: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxEvent(Base):
    """One row per transition or showcase change, written by a database trigger on
    link_events or showcase_events in its transaction, and one per change of a shop or an
    account that others must hear of (outbox.publish), which has no link or history row.

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


class ApiToken(Base):
    """A bearer token of one principal: the seller of a shop, or an account.

    Only the SHA-256 of the token is kept; the public `id` is the token's prefix.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.CheckConstraint(
            "(shop_id IS NULL) <> (account_id IS NULL)", name="one_principal"
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    shop_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shops.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    shop: Mapped[Shop | None] = relationship(lazy="joined")
    account: Mapped[Account | None] = relationship(lazy="joined")


class IdempotencyRecord(Base):
    """The first answer to a POST that carried an Idempotency-Key, replayed on a retry.

    Written by the action's own commit (UnitOfWork's `before_commit`), so the action and
    its record are stored together or not at all."""

    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255))
    principal: Mapped[str] = mapped_column(sa.String(40))
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(255))
    fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    # Null from the action's commit until its answer is stored, just after.
    status: Mapped[int | None] = mapped_column(sa.Integer)
    body: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


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


class WebhookEndpoint(Base):
    """A receiver of outbox events; `position` is the last outbox id fanned out to it."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = {"sqlite_autoincrement": True}  # a removed endpoint's id is never reused

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2048))
    events: Mapped[list[str] | None] = mapped_column(sa.JSON)  # None: every type
    secret: Mapped[str] = mapped_column(sa.String(100))
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    position: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(200))


class WebhookDelivery(Base):
    """One event for one endpoint (or a ping, with no event): pending, delivered or failed.

    A pending row whose `next_attempt_at` is in the future is waiting for a retry, or is
    leased to a daemon sending it now; a daemon that dies leaves the lease to run out.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id"),
        sa.Index("ix_webhook_deliveries_due", "endpoint_id", "next_attempt_at",
                 postgresql_where=sa.text("status = 'pending'"),
                 sqlite_where=sa.text("status = 'pending'")),
        sa.Index("ix_webhook_deliveries_event_id", "event_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    type: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """One request of a delivery: its answer's status (or the error), latency, first KiB."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_delivery_id", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.String(200))
    latency_ms: Mapped[float] = mapped_column(sa.Float)
    response: Mapped[str | None] = mapped_column(sa.Text)


class WebSession(Base):
    """A signed-in browser of Seller Center or the TikTok app, opened with an API token.

    Only the SHA-256 of the cookie's value is kept; the session ends on sign-out, and
    with its token (revoked, or expired). `flash` holds what the next page must say.
    """

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(sa.ForeignKey("api_tokens.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flash: Mapped[Any] = mapped_column(sa.JSON)

    token: Mapped[ApiToken] = relationship(lazy="joined")
