"""Who may call the API and the pages: tokens, browser sessions, and the first
answers to idempotent POSTs.

Declared apart from workflows/models.py so a command that does not use them never
declares or configures them (start-up, issue 12).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shoplink.workflows.models import Account, Base, Shop
from shoplink.workflows.types import UTCDateTime


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
