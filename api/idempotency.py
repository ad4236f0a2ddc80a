"""Idempotency-Key on POST: a retry gets the first answer, and nothing happens twice.

The record joins the action's own transaction: the service's commit is held open
until the answer is known, so an action and its record are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Annotated, Any, NamedTuple

import sqlalchemy as sa
from fastapi import Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shoplink.api.auth import Caller
from shoplink.api.errors import answer_for
from shoplink.workflows.errors import BadInput, ShoplinkError
from shoplink.workflows.models import IdempotencyRecord
from shoplink.workflows.uow import UnitOfWork

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=255,
    description="A retry with the same key answers the first answer and does nothing again.",
)]
Action = Callable[[UnitOfWork], Any]


class Answer(NamedTuple):
    """The first answer given under a key."""

    key: str
    method: str
    path: str
    status: int
    body: Any


class HeldUnitOfWork(UnitOfWork):
    """A unit of work whose commit waits for `finish`, which adds the record and commits."""

    _held: Session | None = None

    def __enter__(self) -> UnitOfWork:
        if self._held is not None:  # a second transaction in one action: settle the first
            self._held.commit()
            self._close_held()
        return super().__enter__()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._held is None or self._held is not self.session:
            super().__exit__(kind, error, trace)

    def commit(self) -> None:
        self.session.flush()
        self._held = self.session

    def finish(self, record: IdempotencyRecord) -> None:
        session = self._held or self._factory()
        self._held = None
        try:
            session.add(record)
            session.commit()
        finally:
            session.close()

    def discard(self) -> None:
        if self._held is not None:
            self._held.rollback()
            self._close_held()

    def _close_held(self) -> None:
        assert self._held is not None
        self._held.close()
        self._held = None


def run_once(who: Caller, request: Request, key: str | None, action: Action,
             status: int = 200) -> JSONResponse:
    """Run `action` (once per key and principal) and answer its view or its error."""
    if key is None:
        return JSONResponse(action(who.uow()), status)
    first = _recorded(who, key)
    if first is not None:
        return _replay(first, request)
    uow = HeldUnitOfWork(who.engine)
    try:
        body = action(uow)
    except ShoplinkError as failure:
        status, body = answer_for(failure)
    except BaseException:
        uow.discard()
        raise
    if status >= 500:
        uow.discard()
        return JSONResponse(body, status)
    record = IdempotencyRecord(key=key, principal=who.principal.key, method=request.method,
                               path=request.url.path, status=status, body=body,
                               created_at=who.now)
    try:
        uow.finish(record)
    except IntegrityError:  # the same key won a race: its answer is the answer
        first = _recorded(who, key)
        if first is None:
            raise
        return _replay(first, request)
    return JSONResponse(body, status)


def _recorded(who: Caller, key: str) -> Answer | None:
    with who.uow() as uow:
        row = uow.session.execute(
            sa.select(IdempotencyRecord.method, IdempotencyRecord.path, IdempotencyRecord.status,
                      IdempotencyRecord.body)
            .where(IdempotencyRecord.principal == who.principal.key, IdempotencyRecord.key == key)
        ).first()
    return Answer(key, *row) if row else None


def _replay(first: Answer, request: Request) -> JSONResponse:
    if (first.method, first.path) != (request.method, request.url.path):
        raise BadInput(f"Idempotency-Key {first.key!r} was first used for "
                       f"{first.method} {first.path}")
    return JSONResponse(first.body, first.status, headers={"Idempotent-Replayed": "true"})
