"""2. The peer design: one APScheduler 3 `date` job per deadline in a SQLAlchemyJobStore.

What most users would write first, against shoplink's way, on clones of the same data
(one due link per shop). Adding: the peer stores a pickled job per deadline; shoplink
writes the deadline into the link row (one UPDATE and commit per deadline either way).
Firing: the peer runs one job per deadline, each the service layer's catch-up for its
link's shop; shoplink runs one batched sweep. Each side runs in its own process.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from tests.benchmarks.harness import Context, Row, in_subprocess
from tests.benchmarks.seed import load_links

_engines: dict[str, sa.Engine] = {}


def catch_up(url: str, link_id: int) -> None:
    """The peer's job: what any command does first for a link, here for its own sake."""
    from shoplink.workflows import lookup
    from shoplink.workflows.timers import settle
    from shoplink.workflows.uow import UnitOfWork

    engine = _engines.get(url) or _engines.setdefault(url, make_engine(url))
    uow = UnitOfWork(engine)
    with uow:
        settle(uow, lookup.link_shop_id(uow.session, link_id), datetime.now(UTC))
        uow.commit()


def _source(ctx: Context, deadlines: int) -> str:
    url = ctx.databases.fresh(f"peer{deadlines}")
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    load_links(engine, deadlines, shop_count=deadlines)
    engine.dispose()
    ctx.databases.settle(url)
    return url


def _in_clone(ctx: Context, source: str, task: str) -> dict:
    url = ctx.databases.clone(source, task)
    try:
        return in_subprocess(task, url)
    finally:
        ctx.databases.drop(url)


def run(ctx: Context) -> None:
    n = ctx.sizes.peer_deadlines
    source = _source(ctx, n)
    ours = _in_clone(ctx, source, "sweep")
    added = _in_clone(ctx, source, "deadlines")
    theirs = _in_clone(ctx, source, "peer")
    if ours["moved"] != n or theirs["jobs"] != n:
        raise AssertionError(f"sweep moved {ours['moved']}, peer ran {theirs['jobs']}, of {n}")
    label = f"{n:,} deadlines"
    b = ctx.backend
    ctx.rows += [
        Row.compare(f"peer: add {label}, APScheduler jobs vs deadline columns", b,
                    theirs["add_seconds"], added["seconds"], "s"),
        Row.compare(f"peer: fire {label}, one job each vs one sweep", b,
                    theirs["fire_seconds"], ours["seconds"], "s"),
        Row.compare(f"peer: peak memory, {label}, APScheduler vs sweep process", b,
                    theirs["peak_mb"], ours["peak_mb"], "MB"),
        Row.absolute("peer: APScheduler jobs added", b, n / theirs["add_seconds"], "jobs/s"),
        Row.absolute("peer: APScheduler transitions fired", b, n / theirs["fire_seconds"],
                     "transitions/s"),
    ]
