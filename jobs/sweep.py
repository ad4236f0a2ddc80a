"""The sweep: every overdue `expire` and `unlock`, applied in batches that commit one by one.

The SQL lives in workflows.timers.apply_due; this module only loops over it, so a
long catch-up never holds the database for longer than one batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from shoplink.workflows.db import widen_page_cache
from shoplink.workflows.timers import apply_due
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.vocabulary import TIMERS

# Rows of each event per transaction. Per-batch commits are what a sweep pays over one
# transaction (SQLite rewrites each dirtied index page into the WAL at every commit), so
# 5,000 brings a catch-up near the raw-SQL limit; a batch then holds SQLite's write lock
# for a few hundred milliseconds at most, and only while a backlog is being caught up.
DEFAULT_BATCH = 5_000
# SQLite's page cache for a batch, in KiB. Each moved row changes `state`, so its entries
# move in the shop-keyed indexes, a page or two per shop: beside a large backlog a batch
# dirties thousands of pages all over them, and in the 2 MB default SQLite spills them to
# the WAL and reads them back again and again (27,000 spills for 10,000 rows beside
# 1,000,000). 64 MB holds a batch's pages; it is a bound, filled only as pages are read,
# and shrinks back after every batch, so a sweep's memory does not grow with the backlog.
BATCH_CACHE_KIB = 65_536
log = logging.getLogger("shoplink.jobs")


@dataclass
class Swept:
    """What one sweep changed: transitions per event, the number of committed batches and
    how late each batch was (its `now` minus its oldest deadline), what metrics count."""

    counts: dict[str, int] = field(default_factory=lambda: {t.event: 0 for t in TIMERS})
    batches: int = 0
    lateness: list[float] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def sweep(engine: Engine, now: datetime, *, batch: int = DEFAULT_BATCH,
          stop: Callable[[], bool] = lambda: False) -> Swept:
    """Apply every timer due at `now`, `batch` rows of each event per transaction.

    Stops when a batch comes back short (PostgreSQL: the rest is locked by another
    daemon, which will commit it) or when `stop()` says so between batches.
    """
    swept = Swept()
    while not stop():
        uow = UnitOfWork(engine)
        with uow:
            widen_page_cache(uow.session, BATCH_CACHE_KIB)
            applied = apply_due(uow.session, now, limit=batch, skip_locked=True)
            uow.commit()
        if applied.total == 0:
            break
        swept.batches += 1
        for event, count in applied.counts.items():
            swept.counts[event] = swept.counts.get(event, 0) + count
        late = (now - applied.oldest).total_seconds() if applied.oldest is not None else 0.0
        swept.lateness.append(max(0.0, late))
        _log_batch(applied.counts, late, swept.batches)
        if all(count < batch for count in applied.counts.values()):
            break
    return swept


def _log_batch(counts: dict[str, int], lateness: float, number: int) -> None:
    described = " ".join(f"{event}={count}" for event, count in counts.items())
    log.info("sweep batch %d: %s, oldest %.3fs late", number, described, lateness,
             extra={"action": "sweep", "batch": number, "counts": dict(counts),
                    "lateness_seconds": round(lateness, 3)})
