"""1. Sweep throughput: the real batched sweep against the fastest raw SQL for the same work.

The baseline is the limit PERFORMANCE.md names (tests/benchmarks/limit.py). Each side
runs on its own fresh clone of the same data, alternately; the median of the repeats
is reported.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from tests.benchmarks.harness import Context, Row, median, timed
from tests.benchmarks.limit import baseline_sql
from tests.benchmarks.seed import NOW, due_database

TARGET = {"sqlite": 1.5, "postgresql": 1.3}
# What the per-batch commits cost on SQLite: a WAL checkpoint every 10,000 pages (default
# 1,000: hot index pages are copied back again at each one) and no fsync per commit
# (synchronous=NORMAL: durable across a crash of the process, not of the machine). The
# 64 MB page cache is kept in the row's name: every sweep batch now has it anyway.
RELAXED = ("PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=10000",
           "PRAGMA synchronous=NORMAL")


def real_sweep(engine: sa.Engine, now: datetime, batch: int | None = None) -> int:
    """jobs.sweep.sweep when it exists, else the same loop over apply_due."""
    try:
        from shoplink.jobs.sweep import DEFAULT_BATCH, sweep
    except ImportError:
        return _loop(engine, now, batch or 500)
    return sweep(engine, now, batch=batch or DEFAULT_BATCH).total


def _loop(engine: sa.Engine, now: datetime, batch: int) -> int:
    from shoplink.workflows.timers import apply_due
    from shoplink.workflows.uow import UnitOfWork

    total = 0
    while True:
        uow = UnitOfWork(engine)
        with uow:
            applied = apply_due(uow.session, now, limit=batch, skip_locked=True)
            uow.commit()
        total += applied.total
        if applied.total == 0:
            return total


def measure(ctx: Context, source: str, work, expected: int, pragmas: tuple[str, ...] = ()) -> float:
    """Time `work(engine, NOW)` on a fresh clone of `source`, check it moved every row."""
    url = ctx.databases.clone(source, "run")
    engine = make_engine(url)
    if pragmas:
        sa.event.listen(engine, "connect",
                        lambda dbapi, _: [dbapi.execute(pragma) for pragma in pragmas])
    engine.connect().close()
    moved: list[int] = []
    seconds = timed(lambda: moved.append(work(engine, NOW)))
    with engine.connect() as connection:  # the same work: one history and one outbox row each
        written = connection.exec_driver_sql(
            "SELECT (SELECT count(*) FROM link_events), (SELECT count(*) FROM outbox_events)"
        ).one()
    engine.dispose()
    ctx.databases.drop(url)
    if moved[0] != expected or tuple(written) != (expected, expected):
        raise AssertionError(f"{getattr(work, '__name__', 'work')} moved {moved[0]} rows and "
                             f"wrote {tuple(written)} history/outbox rows; expected {expected}")
    return seconds


def run(ctx: Context) -> None:
    rows = ctx.sizes.sweep_rows
    source = due_database(ctx, rows)
    base, real, relaxed = [], [], []
    for _ in range(ctx.sizes.repeats):
        base.append(measure(ctx, source, baseline_sql, rows))
        real.append(measure(ctx, source, real_sweep, rows))
        if ctx.backend == "sqlite":
            relaxed.append(measure(ctx, source, real_sweep, rows, RELAXED))
    label = f"{rows:,} due rows"
    ctx.rows.append(Row.compare(f"sweep {label} (batch default) vs raw SQL", ctx.backend,
                                median(real), median(base), "s",
                                most=TARGET[ctx.backend]))
    for batch in (500, 2_000):  # what-ifs, one run each (500 was the default)
        spent = measure(ctx, source, lambda e, n, b=batch: real_sweep(e, n, batch=b), rows)
        ctx.rows.append(Row.compare(f"what-if: sweep {label}, batch {batch:,}, vs raw SQL",
                                    ctx.backend, spent, median(base), "s"))
    if relaxed:
        ctx.rows.append(Row.compare(
            f"what-if: sweep {label}, SQLite cache 64 MB, checkpoint 10k pages, "
            "synchronous=NORMAL, vs raw SQL", ctx.backend,
            median(relaxed), median(base), "s"))
    ctx.rows.append(Row.absolute(f"raw SQL baseline, {label}", ctx.backend,
                                 rows / median(base), "rows/s"))
    ctx.rows.append(Row.absolute(f"sweep, {label} (batch default)", ctx.backend,
                                 rows / median(real), "rows/s"))
