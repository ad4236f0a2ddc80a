"""6. Search over a large account directory: the service function, call by call.

Four kinds of query, each its own percentiles: an exact username, a username prefix
(matching about one account in 144), an exact nickname and a nickname prefix.
Each call is `workflows.accounts.search_accounts` with its own unit of work.
"""

from __future__ import annotations

import random
import time

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Account
from tests.benchmarks.harness import Context, Row, percentile
from tests.benchmarks.seed import ACCOUNT_COLUMNS, accounts, bulk_insert, nickname, username

TARGET_MS = 5.0
KINDS = {
    "exact username": lambda i: username(i),
    "username prefix": lambda i: username(i)[:4],
    "exact nickname": lambda i: nickname(i),
    "nickname prefix": lambda i: nickname(i)[:5],
}


def _database(ctx: Context, count: int) -> str:
    url = ctx.databases.fresh(f"accounts{count}")
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    bulk_insert(engine, Account.__table__, ACCOUNT_COLUMNS, accounts(count))
    engine.dispose()
    ctx.databases.settle(url)
    return url


def run(ctx: Context) -> None:
    from shoplink.workflows.accounts import search_accounts
    from shoplink.workflows.uow import UnitOfWork

    count, queries = ctx.sizes.search_accounts, ctx.sizes.search_queries
    engine = make_engine(_database(ctx, count))
    rng = random.Random(5)
    picks = {kind: [make(rng.randint(1, count)) for _ in range(queries)]
             for kind, make in KINDS.items()}
    for texts in picks.values():  # warm the statement cache and the pages, untimed
        for text in texts[:10]:
            search_accounts(UnitOfWork(engine), text)
    for kind, texts in picks.items():
        spent = []
        for text in texts:
            start = time.perf_counter()
            found = search_accounts(UnitOfWork(engine), text)
            spent.append((time.perf_counter() - start) * 1000)
            if not found:
                raise AssertionError(f"search {text!r} found nothing")
        label = f"search {kind}, {count:,} accounts"
        ctx.rows.append(Row.absolute(f"{label}: p50", ctx.backend, percentile(spent, 0.5), "ms"))
        ctx.rows.append(Row.absolute(f"{label}: p99", ctx.backend, percentile(spent, 0.99),
                                     "ms", below=TARGET_MS))
    engine.dispose()
