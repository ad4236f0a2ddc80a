"""4. Scale: the sweep does not care how many rows are not yet due, nor how many are.

Time: the sweep of the same due rows in a table that also holds a large backlog of
rows not yet due, against a table of only the due rows (the partial indexes on the
deadlines should make the backlog invisible). Memory: the peak resident set of a
sweep process over many due rows against one over a tenth of them.
"""

from __future__ import annotations

import time

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from tests.benchmarks.harness import Context, Row, in_subprocess, median
from tests.benchmarks.limit import baseline_sql
from tests.benchmarks.seed import NOW, due_database
from tests.benchmarks.sweep import measure, real_sweep

TIME_TARGET = {"sqlite": 2.0, "postgresql": 1.5}
MEMORY_LIMIT_MB = 150
FLAT = 1.2  # "flat": ten times the rows may cost at most a fifth more memory


def _lookup_ms(url: str, times: int = 50) -> float:
    """Median time of the sweep's claim query (the first batch of each timer), read only."""
    from shoplink.workflows.machine import timers
    from shoplink.workflows.timers import _due

    engine = make_engine(url, poolclass=sa.pool.NullPool)
    spent = []
    with engine.connect() as connection:
        for _ in range(times):
            start = time.perf_counter()
            for timer in timers():
                connection.execute(_due(timer, NOW, None, 500)).all()
            spent.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    return median(spent)


def _peak(ctx: Context, source: str) -> float:
    url = ctx.databases.clone(source, "memory")
    try:
        return in_subprocess("sweep", url)["peak_mb"]
    finally:
        ctx.databases.drop(url)


def run(ctx: Context) -> None:
    due, backlog, many = ctx.sizes.scale_due, ctx.sizes.scale_backlog, ctx.sizes.memory_rows
    small = due_database(ctx, due)
    big = due_database(ctx, due, backlog)
    alone, beside, raw_alone, raw_beside = [], [], [], []
    for _ in range(ctx.sizes.repeats):
        alone.append(measure(ctx, small, real_sweep, due))
        beside.append(measure(ctx, big, real_sweep, due))
        raw_alone.append(measure(ctx, small, baseline_sql, due))
        raw_beside.append(measure(ctx, big, baseline_sql, due))
    ctx.rows.append(Row.compare(
        f"sweep {due:,} due beside {backlog:,} not due vs alone", ctx.backend,
        median(beside), median(alone), "s", most=TIME_TARGET[ctx.backend]))
    ctx.rows.append(Row.compare(
        f"raw SQL {due:,} due beside {backlog:,} not due vs alone (reference)", ctx.backend,
        median(raw_beside), median(raw_alone), "s"))
    ctx.rows.append(Row.compare(
        f"finding the first due batch beside {backlog:,} not due vs alone", ctx.backend,
        _lookup_ms(big), _lookup_ms(small), "ms"))
    few_mb, many_mb = _peak(ctx, small), _peak(ctx, due_database(ctx, many))
    ctx.rows.append(Row.compare(
        f"sweep peak memory, {many:,} vs {due:,} due rows", ctx.backend,
        many_mb, few_mb, "MB", most=FLAT))
    ctx.rows.append(Row.absolute(f"sweep peak memory, {many:,} due rows", ctx.backend,
                                 many_mb, "MB", below=MEMORY_LIMIT_MB))
