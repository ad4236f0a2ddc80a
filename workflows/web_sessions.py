"""The service layer for the pages' sessions: sign in with a token, resume, sign out.

The browser holds a random session id in a cookie; the database keeps only its SHA-256.
A session lives while its token does: revoking (or, once tokens expire, expiry) ends it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shoplink.workflows.errors import Unauthorized
from shoplink.workflows.models import WebSession
from shoplink.workflows.tokens import Principal, authenticate, principal_of
from shoplink.workflows.uow import UnitOfWork

SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class SignedIn:
    """A live session: who it speaks for, its CSRF token, and what the page must say."""

    principal: Principal
    csrf_token: str
    flash: list[dict[str, Any]] = field(default_factory=list)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def sign_in(uow: UnitOfWork, token: str, kind: str, now: datetime) -> tuple[str, SignedIn]:
    """Exchange a live token of a `kind` principal for a new session; returns its id once."""
    principal = authenticate(UnitOfWork(uow.engine), token.strip(), now)
    if principal.kind != kind:
        raise Unauthorized(f"this is not a{'n' if kind == 'account' else ''} {kind} token")
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with uow:
        uow.session.add(WebSession(id=_hash(secret), token_id=token.strip().partition(".")[0],
                                   csrf_token=csrf, created_at=now, last_seen_at=now))
        uow.commit()
    return secret, SignedIn(principal, csrf)


def _live(row: WebSession | None, now: datetime) -> bool:
    if row is None or row.ended_at is not None or row.token.revoked_at is not None:
        return False
    return row.token.expires_at is None or now < row.token.expires_at


def resume(uow: UnitOfWork, secret: str, now: datetime) -> SignedIn | None:
    """The session behind a cookie, taking its flash messages; None once it has ended."""
    with uow:
        row = uow.session.get(WebSession, _hash(secret))
        if not _live(row, now):
            return None
        assert row is not None
        flash = list(row.flash or [])
        if flash or now - row.last_seen_at >= SEEN_EVERY:
            row.flash = None
            row.last_seen_at = now
            uow.commit()
        return SignedIn(principal_of(row.token), row.csrf_token, flash)


def say(uow: UnitOfWork, secret: str, message: dict[str, Any]) -> None:
    """Keep a message (a refusal, a bad input, a done) for the page the redirect lands on."""
    with uow:
        row = uow.session.get(WebSession, _hash(secret))
        if row is not None:
            row.flash = [*(row.flash or []), message]
            uow.commit()


def sign_out(uow: UnitOfWork, secret: str, now: datetime) -> None:
    with uow:
        row = uow.session.get(WebSession, _hash(secret))
        if row is not None and row.ended_at is None:
            row.ended_at = now
            uow.commit()

