"""Idempotency-Key on POST: a retry gets the first answer, and nothing happens twice.

The record is filed by the action's own commit (the unit of work's `before_commit` hook),
so an action and its record are stored together or not at all; the answer is written into
the record just after. A repeat that finds the record still without its answer waits up to
ANSWER_WAIT seconds for it, then answers 409 `idempotency_key_in_use`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Annotated, Any, NamedTuple

import sqlalchemy as sa
from fastapi import Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shoplink.api.auth import Caller
from shoplink.api.errors import answer_for, document
from shoplink.workflows.errors import IdempotencyKeyReused, ShoplinkError, quoted
from shoplink.workflows.models import IdempotencyRecord
from shoplink.workflows.uow import UnitOfWork

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=255,
    description="A retry with the same key answers the first answer and does nothing again.",
)]
Action = Callable[[UnitOfWork], Any]
# How long a repeat waits for the first request's answer before answering 409 in use.
ANSWER_WAIT = 5.0
POLL = 0.02


class Answer(NamedTuple):
    """The first answer given under a key (status None: not known yet), and its request."""

    key: str
    method: str
    path: str
    fingerprint: str | None
    status: int | None
    body: Any


def fingerprint(request: Request, payload: Any) -> str:
    """SHA-256 of the method, the path and the parsed body: what makes a request the same."""
    text = json.dumps([request.method, request.url.path, payload], sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def run_once(who: Caller, request: Request, key: str | None, action: Action,
             status: int = 200, payload: Any = None) -> JSONResponse:
    """Run `action` (once per key and principal) and answer its view or its error.

    `payload` is the parsed body: a key reused with another one is refused (422)."""
    if key is None:
        return JSONResponse(action(who.uow()), status)
    mine = fingerprint(request, payload)
    first = _recorded(who, key)
    if first is not None:
        return _replay(_answered(who, first), request, mine)
    record = IdempotencyRecord(key=key, principal=who.principal.key, method=request.method,
                               path=request.url.path, fingerprint=mine, created_at=who.now)
    filed: list[int] = []

    def file_record(session: Session) -> None:
        if not filed:
            session.add(record)
            session.flush()
            filed.append(record.id)

    try:
        body = action(UnitOfWork(who.engine, before_commit=file_record))
    except ShoplinkError as failure:
        status, body = answer_for(failure)
    except IntegrityError:  # the same key was filed first by a racing request
        first = _recorded(who, key)
        if first is None:
            raise
        return _replay(_answered(who, first), request, mine)
    if status >= 500:
        return JSONResponse(body, status)
    with UnitOfWork(who.engine) as uow:
        if filed:  # the action committed: its record is there, waiting for its answer
            uow.session.execute(sa.update(IdempotencyRecord)
                                .where(IdempotencyRecord.id == filed[0])
                                .values(status=status, body=body))
        else:  # refused before any commit: nothing else was written
            record.status, record.body = status, body
            uow.session.add(record)
        try:
            uow.commit()
        except IntegrityError:
            uow.session.rollback()
            first = _recorded(who, key)
            if first is None:
                raise
            return _replay(_answered(who, first), request, mine)
    return JSONResponse(body, status)


def _recorded(who: Caller, key: str) -> Answer | None:
    with who.uow() as uow:
        row = uow.session.execute(
            sa.select(IdempotencyRecord.method, IdempotencyRecord.path,
                      IdempotencyRecord.fingerprint, IdempotencyRecord.status,
                      IdempotencyRecord.body)
            .where(IdempotencyRecord.principal == who.principal.key, IdempotencyRecord.key == key)
        ).first()
    return Answer(key, *row) if row else None


def _answered(who: Caller, first: Answer) -> Answer:
    """The first answer, once the first request has stored it (or as it is after a wait)."""
    deadline = time.monotonic() + ANSWER_WAIT
    while first.status is None and time.monotonic() < deadline:
        time.sleep(POLL)
        first = _recorded(who, first.key) or first
    return first


def _replay(first: Answer, request: Request, mine: str) -> JSONResponse:
    if (first.method, first.path) != (request.method, request.url.path):
        raise IdempotencyKeyReused(f"Idempotency-Key {quoted(first.key)} was first used for "
                                   f"{first.method} {first.path}: use a new key")
    if first.fingerprint is not None and first.fingerprint != mine:
        raise IdempotencyKeyReused(f"Idempotency-Key {quoted(first.key)} was first used "
                                   "with another body: use a new key")
    if first.status is None:
        return JSONResponse(document("idempotency_key_in_use", "the first request with "
                                     f"Idempotency-Key {quoted(first.key)} has not answered "
                                     "yet: retry later"), 409)
    return JSONResponse(first.body, first.status, headers={"Idempotent-Replayed": "true"})
