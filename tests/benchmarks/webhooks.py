"""8. Webhooks: deliveries per second against bare httpx POSTs, and lag from commit to arrival.

Throughput: N outbox events (a sweep of N due invitations) delivered by one `Deliverer`
pass to a receiver on 127.0.0.1 that answers at once, against N bare `httpx` POSTs of
the same size from one process with the same client settings and concurrency (the limit:
no database, no signing). Lag: a real `shoplink daemon` process with webhooks on; due
invitations spread over a few seconds are swept, and each event's lag is its arrival at
the receiver minus its `recorded_at` (taken before its transaction commits).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from shoplink.jobs.deliveries import Deliverer
from shoplink.jobs.sweep import sweep
from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Account, Link, Shop
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.webhooks import add_endpoint
from tests.benchmarks.harness import Context, Row, percentile, timed
from tests.benchmarks.lateness import _wait_started, shoplink
from tests.benchmarks.seed import (
    ACCOUNT_COLUMNS,
    LINK_COLUMNS,
    SHOP_COLUMNS,
    accounts,
    bulk_insert,
    link,
    shops,
)
from tests.webhook_receiver import Receiver

CONCURRENCY = 16
SHOPS = 100
LAG_TARGET_MS = 500


def _due_invitations(engine: sa.Engine, count: int, start: datetime, spread: float) -> None:
    bulk_insert(engine, Shop.__table__, SHOP_COLUMNS, shops(SHOPS))
    bulk_insert(engine, Account.__table__, ACCOUNT_COLUMNS, accounts(count // SHOPS + 1))
    step = spread / max(count, 1)
    bulk_insert(engine, Link.__table__, LINK_COLUMNS, [
        link(i + 1, i % SHOPS + 1, i // SHOPS + 1, "invited", start + timedelta(seconds=i * step))
        for i in range(count)])


def _bare_posts(url: str, body: bytes, count: int) -> None:
    with httpx.Client(timeout=10, limits=httpx.Limits(max_connections=CONCURRENCY,
                                                      max_keepalive_connections=CONCURRENCY)
                      ) as client, ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(lambda _: client.post(url, content=body,
                                            headers={"content-type": "application/json"}),
                      range(count)))


def _throughput(ctx: Context, count: int) -> None:
    url = ctx.databases.fresh("webhooks")
    engine = make_engine(url)
    _due_invitations(engine, count, datetime.now(UTC) - timedelta(hours=1), 0)
    with Receiver() as receiver:
        add_endpoint(UnitOfWork(engine), receiver.url, [], datetime.now(UTC))
        sweep(engine, datetime.now(UTC))
        deliverer = Deliverer(engine)  # the defaults: 16 in flight for one endpoint
        try:
            ours = timed(deliverer.drain)
        finally:
            deliverer.close()
        sent = len(receiver.requests)
        body = receiver.requests[0].body
        bare = timed(lambda: _bare_posts(receiver.url, body, count))
    engine.dispose()
    if sent != count:
        ctx.notes.append(f"webhooks: {sent} of {count} deliveries arrived")
    ctx.rows.append(Row.compare(
        f"webhooks: {count:,} deliveries, {CONCURRENCY} in flight, vs bare httpx POSTs",
        ctx.backend, count / ours, count / bare, "deliveries/s", least=0.5))


def _lag(ctx: Context, count: int, spread: float) -> None:
    url = ctx.databases.fresh("webhook_lag")
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    log = ctx.databases.directory / "webhook-daemon.log"
    with Receiver() as receiver:
        add_endpoint(UnitOfWork(engine), receiver.url, [], datetime.now(UTC))
        with log.open("w") as sink:
            daemon = subprocess.Popen([*shoplink(), "--db", url, "daemon"], stdout=sink,
                                      stderr=subprocess.STDOUT, env=dict(os.environ))
        try:
            _wait_started(log, daemon)
            _due_invitations(engine, count, datetime.now(UTC) + timedelta(seconds=ctx.sizes.lead),
                             spread)
            end = time.monotonic() + spread + 30
            while len(receiver.requests) < count and time.monotonic() < end:
                time.sleep(0.1)
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
        arrived = list(receiver.requests)
    engine.dispose()
    lags = [(request.at - datetime.fromisoformat(
        json.loads(request.body)["data"]["recorded_at"]).timestamp()) * 1000
        for request in arrived]
    label = f"webhooks: lag from commit to arrival, {count:,} events over {spread:g} s"
    ctx.rows += [
        Row.absolute(f"{label}: p50", ctx.backend, percentile(lags, 0.5), "ms"),
        Row.absolute(f"{label}: p99", ctx.backend, percentile(lags, 0.99), "ms",
                     below=LAG_TARGET_MS),
        Row.absolute(f"{label}: arrived (daemon exit {code})", ctx.backend, len(arrived),
                     "events", at_least=count),
    ]


def run(ctx: Context) -> None:
    _throughput(ctx, ctx.sizes.lateness_deadlines)
    _lag(ctx, ctx.sizes.lateness_deadlines, ctx.sizes.lateness_spread)
