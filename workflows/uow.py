"""The unit of work: one session, one transaction, rolled back unless the handler commits."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shoplink.workflows.db import read_options
from shoplink.workflows.errors import BadInput
from shoplink.workflows.lookup import locking
from shoplink.workflows.models import Account, Shop


class UnitOfWork:
    """Owns the session; `lock_shop` is the per-shop lock every checked transition runs under.

    Nothing is committed unless a handler calls `commit()`. `before_commit`, if given, runs
    in the transaction just before its commit (the idempotency layer files its record so).
    """

    def __init__(self, engine: Engine, *,
                 before_commit: Callable[[Session], None] | None = None) -> None:
        self.engine = engine
        self.before_commit = before_commit
        self._read_only = False

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        self.session = Session(bind=self.engine, expire_on_commit=False)
        if self._read_only:
            self.begin_read()
        return self

    def reading(self) -> UnitOfWork:
        """`with uow.reading():` a transaction that only reads: no lock, nothing written."""
        self._read_only = True
        return self

    def begin_read(self) -> None:
        """Start the session's next transaction as a read (after a commit or rollback too):
        `db.read_options`, so on PostgreSQL no BEGIN and no ROLLBACK."""
        self.session.connection(execution_options=read_options(self.engine))

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        if self.before_commit is not None:
            self.before_commit(self.session)
        self.session.commit()

    def add_unique(self, row: Any, taken: str) -> None:
        """Insert `row`; a unique key already taken (by a racing transaction too) is bad input."""
        self.session.add(row)
        try:
            self.session.flush()
        except sa.exc.IntegrityError:
            raise BadInput(taken) from None

    def lock_shop(self, shop_id: int) -> Shop:
        """Hold the shop until commit (PostgreSQL: FOR UPDATE; SQLite: BEGIN IMMEDIATE)."""
        if self.dialect != "postgresql":
            return self._held(Shop, shop_id)
        return self.session.execute(self.locking(sa.select(Shop).where(Shop.id == shop_id),
                                                  Shop)).unique().scalar_one()

    def lock_account(self, account_id: int) -> Account:
        """Hold the account too, after its shop, for the limits counted across shops."""
        if self.dialect != "postgresql":
            return self._held(Account, account_id)
        return self.session.execute(
            self.locking(sa.select(Account).where(Account.id == account_id), Account)
        ).scalar_one()

    def _held(self, model: type[Any], key: int) -> Any:
        """SQLite: BEGIN IMMEDIATE already holds the whole database, so a row this
        transaction has read is current: no second read of it."""
        return self.session.get_one(model, key)

    def locking(self, query: sa.Select[Any], model: type[Any]) -> sa.Select[Any]:
        """`lookup.locking` for ORM rows: FOR UPDATE on PostgreSQL, and the rows read again
        over what the session holds, so a locked row is the committed one."""
        return locking(query.execution_options(populate_existing=True), self.dialect,
                       model.__table__)
