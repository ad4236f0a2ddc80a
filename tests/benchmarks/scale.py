"""4. Scale: the sweep does not care how many rows are not yet due, nor how many are.

Time: the sweep of the same due rows in a table that also holds a large backlog of
rows not yet due, against a table of only the due rows (the partial indexes on the
deadlines should make the backlog invisible). Memory: the peak resident set of a
sweep process over many due rows against one over a tenth of them.
"""

from __future__ import annotations

from tests.benchmarks.harness import Context, Row, in_subprocess, median
from tests.benchmarks.seed import due_database
from tests.benchmarks.sweep import measure, real_sweep

TIME_TARGET = 1.5
MEMORY_LIMIT_MB = 150
FLAT = 1.2  # "flat": ten times the rows may cost at most a fifth more memory


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
    alone, beside = [], []
    for _ in range(ctx.sizes.repeats):
        alone.append(measure(ctx, small, real_sweep, due))
        beside.append(measure(ctx, big, real_sweep, due))
    ctx.rows.append(Row.compare(
        f"sweep {due:,} due beside {backlog:,} not due vs alone", ctx.backend,
        median(beside), median(alone), "s", most=TIME_TARGET))
    few_mb, many_mb = _peak(ctx, small), _peak(ctx, due_database(ctx, many))
    ctx.rows.append(Row.compare(
        f"sweep peak memory, {many:,} vs {due:,} due rows", ctx.backend,
        many_mb, few_mb, "MB", most=FLAT))
    ctx.rows.append(Row.absolute(f"sweep peak memory, {many:,} due rows", ctx.backend,
                                 many_mb, "MB", below=MEMORY_LIMIT_MB))
