"""5. The workflow: full links per second through the service layer.

One link is what a seller and an account do: search for the account, `new_link`
(create, verify against every rule, invite) and `accept_link`. Each worker owns its
shops (four links fill one), every account links once. On PostgreSQL the same work
also runs in worker processes at once, against one process alone.

The database is one in use: twenty finished links (with their history) for each link
to make, on shops and accounts of their own. A what-if makes the same links in a new,
empty database. Each process makes its first link untimed: its imports and first
compilations are a server's start-up, not a link's cost.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Account, Link, Shop
from tests.benchmarks.harness import Context, Row
from tests.benchmarks.seed import (
    ACCOUNT_COLUMNS,
    SHOP_COLUMNS,
    accounts,
    bulk_insert,
    load_history,
    shops,
)

PER_SHOP = 4
PAST_PER_LINK = 20  # finished links already in the database for each link made
TARGET = {"sqlite": 300, "postgresql": 150}  # links/s, one process
SCALING_TARGET = 2.5  # 8 processes against one, PostgreSQL


def one_link(engine: sa.Engine, number: int) -> None:
    """Link account `number` to its shop the way the CLI or the API would, step by step."""
    from shoplink.workflows.accounts import search_accounts
    from shoplink.workflows.links import accept_link, new_link
    from shoplink.workflows.uow import UnitOfWork
    from tests.benchmarks.seed import username

    name, shop = username(number), f"Shop {(number - 1) // PER_SHOP + 1}"
    found = search_accounts(UnitOfWork(engine), name, limit=20)
    assert found and found[0]["username"] == name
    view = new_link(UnitOfWork(engine), shop, name, datetime.now(UTC))
    accept_link(UnitOfWork(engine), view["id"], name, datetime.now(UTC))


def work(url: str, numbers: range, barrier=None, results=None) -> float:
    """Seconds to make every link of `numbers` but the first, which warms the process up
    untimed: its imports and first compilations (100-200 ms), which a server pays once
    at start, not per link."""
    engine = make_engine(url)
    one_link(engine, numbers[0])
    if barrier is not None:
        barrier.wait()
    start = time.time()
    for number in numbers[1:]:
        one_link(engine, number)
    end = time.time()
    engine.dispose()
    if results is not None:
        results.put((start, end))
    return end - start


def _database(ctx: Context, links: int, *, past: bool = True) -> str:
    """The shops and accounts to link, on a clone of a settled source built once a run.

    With `past`, the database already holds PAST_PER_LINK finished links (and their
    history) for each link to make, on shops and accounts of their own, as a platform in
    use does: PostgreSQL plans a link's statements from statistics that say its tables
    hold rows. Without, the tables a link reads start empty, and PostgreSQL keeps the
    plans it made for empty tables (sequential scans) while they fill, until autovacuum's
    first ANALYZE, which a run of seconds never sees.
    """
    key = f"workflow:{links}:{past}"
    if key not in ctx.sources:
        url = ctx.databases.fresh(f"workflow{links}{'_past' if past else ''}")
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        shop_count = -(-links // PER_SHOP)
        bulk_insert(engine, Shop.__table__, SHOP_COLUMNS, shops(shop_count))
        bulk_insert(engine, Account.__table__, ACCOUNT_COLUMNS, accounts(links))
        if past:
            load_history(engine, links * PAST_PER_LINK, shop_count + 1, links + 1)
        engine.dispose()
        ctx.databases.settle(url)
        ctx.sources[key] = url
    return ctx.databases.clone(ctx.sources[key], f"workflow{links}")


def _linked(url: str) -> int:
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).select_from(Link).where(Link.state == "linked")
        ).scalar_one()
    engine.dispose()
    return count


def concurrent(url: str, links: int, workers: int) -> float:
    """Seconds from the first worker's start to the last one's end (forked processes)."""
    fork = multiprocessing.get_context("fork")
    barrier, results = fork.Barrier(workers), fork.Queue()
    share = -(-links // workers)
    share += -share % PER_SHOP  # whole shops per worker
    ranges = [range(1 + w * share, min(links, (w + 1) * share) + 1) for w in range(workers)]
    processes = [fork.Process(target=work, args=(url, r, barrier, results)) for r in ranges]
    for process in processes:
        process.start()
    spans = [results.get(timeout=1800) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a workflow worker exited {process.exitcode}")
    return max(end for _, end in spans) - min(start for start, _ in spans)


def _alone(ctx: Context, links: int, *, past: bool) -> float:
    """Links per second of one process making `links` links."""
    url = _database(ctx, links, past=past)
    rate = (links - 1) / work(url, range(1, links + 1))  # the first warms up, untimed
    if _linked(url) != links:
        raise AssertionError(f"{_linked(url)} of {links} links reached linked")
    return rate


def run(ctx: Context) -> None:
    links = ctx.sizes.workflow_links
    alone = _alone(ctx, links, past=True)
    ctx.rows.append(Row.absolute(
        f"workflow: links/s, 1 process ({links:,} links beside {links * PAST_PER_LINK:,} "
        "finished)", ctx.backend, alone, "links/s", at_least=TARGET[ctx.backend]))
    ctx.rows.append(Row.compare(
        "what-if: workflow, links/s, 1 process, a new database (no finished links) vs beside "
        "them", ctx.backend, _alone(ctx, links, past=False), alone, "links/s"))
    if ctx.backend != "postgresql":
        return
    workers = ctx.sizes.workflow_workers
    url = _database(ctx, links)
    together = (links - workers) / concurrent(url, links, workers)  # each warms up once
    if _linked(url) != links:
        raise AssertionError(f"{_linked(url)} of {links} links reached linked")
    ctx.rows.append(Row.compare(f"workflow: links/s, {workers} processes vs 1", ctx.backend,
                                together, alone, "links/s", least=SCALING_TARGET))
