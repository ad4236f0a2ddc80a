"""7. The Marketing accounts tab's server time, for a shop with 10,000 past links.

The page (`GET /seller/linked/marketing`, a signed-in seller) is requested in-process
through the ASGI app, so the figure is the server's work (session, two service calls,
the template) without a network. Baseline in the same run: `GET /healthz`, the HTTP
stack's floor with one database round trip.
"""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Account, Link, Shop
from tests.benchmarks.harness import Context, Row, percentile
from tests.benchmarks.seed import (
    ACCOUNT_COLUMNS,
    LINK_COLUMNS,
    NOW,
    SHOP_COLUMNS,
    accounts,
    bulk_insert,
    link,
)

PAST_LINKS = 10_000
TARGET_MS = 50.0
FINAL = ("unlinked", "expired", "declined", "cancelled", "rejected")


def _count(ctx: Context) -> int:
    """10,000 past links, or fewer in the smoke test's tiny sizes."""
    return min(PAST_LINKS, ctx.sizes.search_accounts)


def _past(i: int) -> tuple:
    """A finished link of shop 1, one every ~17 hours back from 180 days ago (a few recent)."""
    state = FINAL[i % len(FINAL)]
    start = NOW - timedelta(days=181, hours=17 * i) if i > 6 else NOW - timedelta(days=i + 1)
    linked = start + timedelta(hours=1) if state == "unlinked" else None
    return (i, 1, i, state, start, start, start + timedelta(hours=48), linked,
            linked + timedelta(hours=24) if linked else None, start + timedelta(days=3))


def _database(ctx: Context, past: int) -> str:
    url = ctx.databases.fresh(f"pages{past}")
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    bulk_insert(engine, Shop.__table__, SHOP_COLUMNS, [(1, "Shop 1", "US", None, None,
                                                        NOW - timedelta(days=4000))])
    bulk_insert(engine, Account.__table__, ACCOUNT_COLUMNS, accounts(past + 4))
    holding = [link(past + k, 1, past + k, state, NOW + timedelta(hours=k + 1))
               for k, state in enumerate(("linked", "linked", "linked", "invited"), start=1)]
    bulk_insert(engine, Link.__table__, LINK_COLUMNS,
                [*(_past(i) for i in range(1, past + 1)), *holding])
    engine.dispose()
    ctx.databases.settle(url)
    return url


def _timings(client, path: str, count: int) -> list[float]:
    spent = []
    for _ in range(count):
        start = time.perf_counter()
        answer = client.get(path)
        spent.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise AssertionError(f"{path} answered {answer.status_code}")
    return spent


def run(ctx: Context) -> None:
    from fastapi.testclient import TestClient

    from shoplink.api.app import create_app
    from shoplink.workflows.tokens import issue_token
    from shoplink.workflows.uow import UnitOfWork
    from shoplink.workflows.web_sessions import sign_in

    past = _count(ctx)
    engine = make_engine(_database(ctx, past))
    token = issue_token(UnitOfWork(engine), NOW, shop_ref="Shop 1")["token"]
    secret, _ = sign_in(UnitOfWork(engine), token, "seller", NOW)
    client = TestClient(create_app(engine, clock=lambda: NOW),
                        cookies={"shoplink_seller_session": secret})
    path, requests = "/seller/linked/marketing", ctx.sizes.search_queries
    _timings(client, path, 10)  # warm caches and templates, untimed
    if "4 of 4" not in client.get(path).text:
        raise AssertionError("the tab does not show the shop's four slots in use")
    tab = _timings(client, path, requests)
    floor = _timings(client, "/healthz", requests)
    label = f"pages: Marketing accounts tab, {past:,} past links"
    ctx.rows.append(Row.compare(f"{label}: p50 vs GET /healthz", ctx.backend,
                                percentile(tab, 0.5), percentile(floor, 0.5), "ms"))
    ctx.rows.append(Row.absolute(f"{label}: p99", ctx.backend, percentile(tab, 0.99), "ms",
                                 below=TARGET_MS))
    client.close()
    engine.dispose()
