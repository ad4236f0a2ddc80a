"""What every command shares: global options, the clock, and a lazily built engine."""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shoplink.workflows.clock import Clock, as_utc, utc_now
from shoplink.workflows.errors import BadInput, quoted

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from shoplink.workflows.uow import UnitOfWork

TTL_VARIABLE = "SHOPLINK_INVITATION_TTL_HOURS"
MAX_TTL_HOURS = 8760

# Whether the console script paused the garbage collector for its start-up (see below).
_collector_paused = False


def pause_collector() -> None:
    """Start-up only imports, and what it makes (modules, classes, SQLAlchemy's tables and
    mappers) lives as long as the process: the collector's full passes over it are wasted,
    about a tenth of a database command's wall time (docs/performance.md)."""
    global _collector_paused
    if gc.isenabled():
        gc.disable()
        _collector_paused = True


def resume_collector() -> None:
    """The command's work begins: collect again, but never rescan what start-up made."""
    global _collector_paused
    if _collector_paused:
        gc.freeze()
        gc.enable()
        _collector_paused = False


@dataclass
class App:
    db: str | None = None
    json: bool = False
    debug: bool = False
    log_format: str | None = None
    log_level: str | None = None
    clock: Clock = utc_now
    _engine: Engine | None = field(default=None, repr=False)

    def url(self) -> str:
        from shoplink.workflows.db import database_url

        return database_url(self.db)

    def engine(self, *, check_schema: bool = True, read: bool = False) -> Engine:
        """The database engine; the schema is checked (SQLite: upgraded) on first use.

        A command that only reads (`read`) never creates a database file."""
        if self._engine is None:
            from shoplink.workflows.db import make_engine
            from shoplink.workflows.schema import ensure_current

            self._engine = make_engine(self.url(), must_exist=read)
            if check_schema:
                ensure_current(self._engine)
            resume_collector()
        return self._engine

    def uow(self, *, read: bool = False) -> UnitOfWork:
        from shoplink.workflows.uow import UnitOfWork

        return UnitOfWork(self.engine(read=read))

    def now(self) -> datetime:
        return as_utc(self.clock())

    def invitation_ttl(self) -> timedelta | None:
        raw = os.environ.get(TTL_VARIABLE)
        if not raw:
            return None
        try:
            hours = float(raw)
        except ValueError:
            hours = 0.0
        if not 0 < hours <= MAX_TTL_HOURS:
            raise BadInput(f"{TTL_VARIABLE}={quoted(raw)}: give a positive number of hours, "
                           f"at most {MAX_TTL_HOURS} (a year)")
        return timedelta(hours=hours)

    def close(self, *_: Any) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
