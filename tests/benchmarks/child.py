"""Work measured in its own process, so its peak memory is its own: `python -m
tests.benchmarks.child TASK URL [N]` prints one JSON line with the timings and `peak_mb`
(the process's peak resident set, imports included)."""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from shoplink.workflows.db import make_engine


def peak_mb() -> float:
    """This process's peak resident set. VmHWM, not ru_maxrss: across (v)fork and exec
    Linux carries the parent's peak into the child's ru_maxrss."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sweep(url: str, batch: str = "0") -> dict:
    """The real sweep of everything due at the seed's NOW."""
    from tests.benchmarks.seed import NOW
    from tests.benchmarks.sweep import real_sweep

    engine = make_engine(url)
    engine.connect().close()
    start = time.perf_counter()
    moved = real_sweep(engine, NOW, batch=int(batch) or None)
    return {"seconds": time.perf_counter() - start, "moved": moved}


def deadlines(url: str) -> dict:
    """shoplink's way to add a deadline: write it into the link row (one UPDATE, one commit
    per deadline, as `link invite` does), for every pending link."""
    from shoplink.workflows.models import Link

    engine = make_engine(url)
    with engine.connect() as connection:
        pending = connection.execute(
            sa.select(Link.id, Link.expires_at, Link.unlockable_at, Link.state)
        ).all()
    start = time.perf_counter()
    for key, expires, unlockable, state in pending:
        column, value = (("expires_at", expires) if state == "invited"
                         else ("unlockable_at", unlockable))
        with engine.begin() as connection:
            connection.execute(sa.update(Link).where(Link.id == key).values({column: value}))
    return {"seconds": time.perf_counter() - start, "added": len(pending)}


def peer(url: str) -> dict:
    """The peer design: one APScheduler 3 `date` job per deadline in a SQLAlchemyJobStore
    in the same database; each job runs the service layer's catch-up for its link."""
    import threading

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from shoplink.workflows.models import Link

    engine = make_engine(url)
    with engine.connect() as connection:
        pending = connection.execute(
            sa.select(Link.id, sa.case((Link.state == "invited", Link.expires_at),
                                       else_=Link.unlockable_at))
            .where(Link.state.in_(("invited", "linked")))
        ).all()
    store = SQLAlchemyJobStore(engine=engine)
    scheduler = BackgroundScheduler(jobstores={"default": store}, timezone=UTC)
    finished, failures, count = threading.Event(), [], [0]

    def listen(event) -> None:
        if event.exception is not None:
            failures.append(repr(event.exception))
        count[0] += 1
        if count[0] == len(pending):
            finished.set()

    scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    start = time.perf_counter()
    for key, deadline in pending:
        at = deadline if deadline.tzinfo else deadline.replace(tzinfo=UTC)
        scheduler.add_job("tests.benchmarks.peer:catch_up", "date", run_date=at,
                          args=[url, key], id=str(key), misfire_grace_time=None)
    added = time.perf_counter()
    scheduler.resume()
    finished.wait(timeout=1800)
    fired = time.perf_counter()
    scheduler.shutdown(wait=True)
    if failures or count[0] != len(pending):
        raise RuntimeError(f"{count[0]} of {len(pending)} jobs ran; failures: {failures[:3]}")
    return {"add_seconds": added - start, "fire_seconds": fired - added,
            "jobs": len(pending), "finished_at": datetime.now(UTC).isoformat()}


TASKS = {"sweep": sweep, "deadlines": deadlines, "peer": peer}

if __name__ == "__main__":
    result = TASKS[sys.argv[1]](*sys.argv[2:])
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))
