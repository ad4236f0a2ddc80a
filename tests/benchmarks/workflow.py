"""5. The workflow: full links per second through the service layer.

One link is what a seller and an account do: search for the account, `new_link`
(create, verify against every rule, invite) and `accept_link`. Each worker owns its
shops (four links fill one), every account links once. On PostgreSQL the same work
also runs in worker processes at once, against one process alone.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Account, Link, Shop
from tests.benchmarks.harness import Context, Row
from tests.benchmarks.seed import ACCOUNT_COLUMNS, SHOP_COLUMNS, accounts, bulk_insert, shops

PER_SHOP = 4
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
    engine = make_engine(url)
    engine.connect().close()
    if barrier is not None:
        barrier.wait()
    start = time.time()
    for number in numbers:
        one_link(engine, number)
    end = time.time()
    engine.dispose()
    if results is not None:
        results.put((start, end))
    return end - start


def _database(ctx: Context, links: int) -> str:
    url = ctx.databases.fresh(f"workflow{links}")
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    bulk_insert(engine, Shop.__table__, SHOP_COLUMNS, shops(-(-links // PER_SHOP)))
    bulk_insert(engine, Account.__table__, ACCOUNT_COLUMNS, accounts(links))
    engine.dispose()
    ctx.databases.settle(url)
    return url


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


def run(ctx: Context) -> None:
    links = ctx.sizes.workflow_links
    url = _database(ctx, links)
    alone = links / work(url, range(1, links + 1))
    if _linked(url) != links:
        raise AssertionError(f"{_linked(url)} of {links} links reached linked")
    ctx.rows.append(Row.absolute(f"workflow: links/s, 1 process ({links:,} links)", ctx.backend,
                                 alone, "links/s", at_least=TARGET[ctx.backend]))
    if ctx.backend != "postgresql":
        return
    workers = ctx.sizes.workflow_workers
    url = _database(ctx, links)
    together = links / concurrent(url, links, workers)
    if _linked(url) != links:
        raise AssertionError(f"{_linked(url)} of {links} links reached linked")
    ctx.rows.append(Row.compare(f"workflow: links/s, {workers} processes vs 1", ctx.backend,
                                together, alone, "links/s", least=SCALING_TARGET))
