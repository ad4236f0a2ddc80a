"""The daemon: APScheduler wakes a sweep at the next deadline, with a safety-net interval.

The deadlines live in the link rows, so the job store is in memory and holds three
jobs: the safety-net sweep (every `interval`, run at once on start to catch up), a
one-off wake-up at the next deadline (re-armed after every sweep), and a cheap
look-ahead (every `poll` seconds) that re-arms the wake-up when a command has
created a nearer deadline in the meantime.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Protocol

from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from shoplink.jobs.sweep import DEFAULT_BATCH, Swept, sweep
from shoplink.workflows.clock import Clock, iso, utc_now
from shoplink.workflows.timers import next_deadline
from shoplink.workflows.uow import UnitOfWork

if TYPE_CHECKING:
    from shoplink.jobs.deliveries import Deliverer

SAFETY_NET, WAKE_UP, LOOK_AHEAD, DELIVER = "safety-net", "wake-up", "look-ahead", "deliver"
# How soon to look again at rows another daemon's batch held during our sweep.
RETRY = timedelta(seconds=1)
log = logging.getLogger("shoplink.jobs")


class SweepObserver(Protocol):
    """Told what each sweep returned (and how long it took), or that it failed."""

    def swept(self, result: Swept, seconds: float) -> None: ...

    def failed(self) -> None: ...


class Daemon:
    """Runs sweeps on time until SIGTERM or SIGINT; one sweep at a time in this process."""

    def __init__(self, engine: Engine, *, interval: float = 60.0, poll: float = 1.0,
                 batch: int = DEFAULT_BATCH, clock: Clock = utc_now, where: str = "",
                 scheduler: BaseScheduler | None = None,
                 deliverer: Deliverer | None = None) -> None:
        self.deliverer = deliverer  # None: webhooks are not delivered by this daemon
        self.engine, self.interval, self.poll, self.batch = engine, interval, poll, batch
        self.clock, self.where = clock, where
        self.scheduler = scheduler or BlockingScheduler()
        self.scheduler.configure(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._stop = threading.Event()
        self._busy = threading.Lock()
        self._failing = False
        self.observers: list[SweepObserver] = []

    def run(self) -> None:
        """Block until stopped; the batch in flight commits before this returns."""
        self.handle_signals()
        self.scheduler.add_job(self.sweep, "interval", seconds=self.interval, id=SAFETY_NET,
                               next_run_time=datetime.now(UTC))
        self.scheduler.add_job(self.look_ahead, "interval", seconds=self.poll, id=LOOK_AHEAD)
        watcher = None
        if self.deliverer is not None:
            from shoplink.jobs.wake import OutboxWatcher

            # Retries come due and leases run out: look every `poll`; new events wake it at once.
            self.scheduler.add_job(self.deliver, "interval", seconds=self.poll, id=DELIVER,
                                   next_run_time=datetime.now(UTC))
            watcher = OutboxWatcher(self.engine, self.deliver).start()
        log.info("daemon started on %s: safety-net sweep every %gs, look-ahead every %gs, "
                 "batches of %d, webhooks %s", self.where, self.interval, self.poll, self.batch,
                 "on" if self.deliverer else "off",
                 extra={"action": "start", "interval": self.interval, "poll": self.poll,
                        "batch": self.batch, "webhooks": self.deliverer is not None})
        self.scheduler.start()
        with self._busy:
            pass
        if watcher is not None and self.deliverer is not None:
            watcher.stop()
            self.deliverer.close()  # the requests in flight finish and are recorded
        log.info("daemon stopped", extra={"action": "stop"})

    def handle_signals(self) -> None:
        """SIGTERM and SIGINT stop the daemon; call early, so none arrives unhandled."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def deliver(self) -> None:
        """Fan out new outbox events and start the webhook requests that are due."""
        if self._stop.is_set() or self.deliverer is None:
            return
        with self._reporting():
            self.deliverer.pump()

    def sweep(self) -> None:
        """Apply everything due now, then arm the wake-up at the next deadline."""
        with self._busy:
            if self._stop.is_set():
                self._halt()
                return
            now = self.clock()
            with self._reporting():
                started = time.perf_counter()
                try:
                    swept = sweep(self.engine, now, batch=self.batch, stop=self._stop.is_set)
                except Exception:
                    for observer in self.observers:
                        observer.failed()
                    raise
                for observer in self.observers:
                    observer.swept(swept, time.perf_counter() - started)
                if not self._stop.is_set():
                    self._arm(swept_at=now)

    def look_ahead(self) -> None:
        """Two index-min queries: bring the wake-up forward if a nearer deadline appeared."""
        if self._stop.is_set():
            self._halt()
            return
        if not self._busy.acquire(blocking=False):
            return  # a sweep is running and re-arms when it ends
        try:
            with self._reporting():
                self._arm(swept_at=None)
        finally:
            self._busy.release()

    @contextmanager
    def _reporting(self) -> Iterator[None]:
        """A database outage is one error line (not one a second); the next job retries."""
        try:
            yield
        except SQLAlchemyError as failure:
            reason = str(getattr(failure, "orig", None) or failure).strip().splitlines()[0]
            level = logging.DEBUG if self._failing else logging.ERROR
            log.log(level, "database unavailable, retrying: %s", reason,
                    extra={"action": "error", "reason": reason})
            self._failing = True
        else:
            if self._failing:
                log.info("database available again", extra={"action": "recovered"})
            self._failing = False

    def _arm(self, swept_at: datetime | None) -> None:
        with UnitOfWork(self.engine) as uow:
            deadline = next_deadline(uow.session)
        if deadline is None:
            return
        now = self.clock()
        if swept_at is not None and deadline <= swept_at:
            run_at = now + RETRY  # still due after the sweep: another daemon's batch holds it
        else:
            run_at = max(deadline, now)
        # A stopped scheduler's pending job has no next_run_time yet.
        armed_at = getattr(self.scheduler.get_job(WAKE_UP), "next_run_time", None)
        if armed_at == run_at or (swept_at is None and armed_at and armed_at <= run_at):
            return  # the look-ahead only ever brings the wake-up forward
        # max_instances=2: a wake-up re-armed from inside the running one may be due at once.
        self.scheduler.add_job(self.sweep, "date", run_date=run_at, id=WAKE_UP,
                               replace_existing=True, max_instances=2)
        log.info("next deadline %s: wake-up at %s", iso(deadline), iso(run_at),
                 extra={"action": "arm", "deadline": iso(deadline), "wake_up": iso(run_at)})

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: finishing the batch in flight", signal.Signals(signum).name,
                 extra={"action": "stop", "signal": signal.Signals(signum).name})
        self._stop.set()
        # Not from the handler itself: the main thread may be inside the scheduler's
        # executor, holding the lock its shutdown takes (a deadlock seen in the tests).
        threading.Thread(target=self._halt, name="halt", daemon=True).start()

    def _halt(self) -> None:
        try:
            self.scheduler.shutdown(wait=False)
        except SchedulerNotRunningError:
            pass
