"""3. Lateness: the real `shoplink daemon` process, deadlines spread over the next seconds.

The daemon starts first, as it would in production; then the deadlines are written
(`Sizes.lead`, two seconds ahead and later, so its one-second look-ahead can see the
first one; the smoke test's tiny sizes take one), and
lateness is each history row's `recorded_at` minus its `at` (the deadline).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Account, Link, LinkEvent, Shop
from tests.benchmarks.harness import Context, Row, percentile
from tests.benchmarks.seed import (
    ACCOUNT_COLUMNS,
    LINK_COLUMNS,
    SHOP_COLUMNS,
    accounts,
    bulk_insert,
    link,
    shops,
)

TARGET_MS = 250
SHOPS = 100


def shoplink() -> list[str]:
    script = Path(sys.executable).with_name("shoplink")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from cli.main import main; main()"]


def _wait_started(log: Path, daemon: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if "daemon started" in log.read_text(errors="replace"):
            return
        if daemon.poll() is not None:
            raise RuntimeError(f"the daemon exited {daemon.returncode}: {log.read_text()[-2000:]}")
        time.sleep(0.05)
    raise RuntimeError("the daemon did not start within a minute")


def _write_deadlines(engine: sa.Engine, count: int, spread: float, lead: float) -> None:
    rng = random.Random(11)
    start = datetime.now(UTC) + timedelta(seconds=lead)
    rows = [
        link(i + 1, i % SHOPS + 1, i // SHOPS + 1, "invited" if i % 2 == 0 else "linked",
             start + timedelta(seconds=rng.uniform(0, spread)))
        for i in range(count)
    ]
    bulk_insert(engine, Link.__table__, LINK_COLUMNS, rows)


def _wait_done(engine: sa.Engine, count: int, timeout: float) -> int:
    end = time.monotonic() + timeout
    query = sa.select(sa.func.count()).select_from(LinkEvent).where(
        LinkEvent.event.in_(("expire", "unlock")))
    done = 0
    while time.monotonic() < end:
        with engine.connect() as connection:
            done = connection.execute(query).scalar_one()
        if done >= count:
            break
        time.sleep(0.25)
    return done


def run(ctx: Context) -> None:
    count, spread = ctx.sizes.lateness_deadlines, ctx.sizes.lateness_spread
    probe = subprocess.run([*shoplink(), "daemon", "--help"], capture_output=True, check=False)
    if probe.returncode != 0:
        ctx.notes.append("lateness not measured: this shoplink has no `daemon` command")
        return
    url = ctx.databases.fresh("lateness")
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    bulk_insert(engine, Shop.__table__, SHOP_COLUMNS, shops(SHOPS))
    bulk_insert(engine, Account.__table__, ACCOUNT_COLUMNS, accounts(count // SHOPS + 1))
    log = ctx.databases.directory / "daemon.log"
    with log.open("w") as sink:
        daemon = subprocess.Popen([*shoplink(), "--db", url, "daemon"], stdout=sink,
                                  stderr=subprocess.STDOUT, env=dict(os.environ))
    try:
        _wait_started(log, daemon)
        _write_deadlines(engine, count, spread, ctx.sizes.lead)
        done = _wait_done(engine, count, ctx.sizes.lead + spread + 30)
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=60)
    with engine.connect() as connection:
        pairs = connection.execute(sa.select(LinkEvent.at, LinkEvent.recorded_at).where(
            LinkEvent.event.in_(("expire", "unlock")))).all()
    engine.dispose()
    late_ms = [(recorded - at).total_seconds() * 1000 for at, recorded in pairs]
    if done < count or code != 0:
        ctx.notes.append(f"lateness: {done} of {count} deadlines applied, daemon exit {code}")
    label = f"lateness, {count:,} deadlines over {spread:g} s"
    ctx.rows += [
        Row.absolute(f"{label}: p50", ctx.backend, percentile(late_ms, 0.5), "ms"),
        Row.absolute(f"{label}: p99", ctx.backend, percentile(late_ms, 0.99), "ms",
                     below=TARGET_MS),
        Row.absolute(f"{label}: max", ctx.backend, max(late_ms, default=float("nan")), "ms"),
        Row.absolute(f"{label}: applied (daemon exit {code})", ctx.backend, len(late_ms),
                     "transitions", at_least=count),
    ]
