"""Sending webhooks: signed requests from a bounded pool, outcomes recorded in batches.

`pump()` fans new outbox events out and leases due deliveries, never more than there are
free workers and never more than `per_endpoint` in flight for one endpoint, so a slow
endpoint holds at most its own share of the pool. Workers sign and POST; one recorder
thread writes their outcomes, many per transaction, and pumps again.
"""

from __future__ import annotations

import logging
import math
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from standardwebhooks.webhooks import Webhook

from shoplink.workflows.clock import Clock, utc_now
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.webhook_queue import (
    RESPONSE_LIMIT,
    Claimed,
    Outcome,
    claim,
    fan_out,
    progress,
)
from shoplink.workflows.webhook_queue import record as record_outcome

DEFAULT_TIMEOUT = 10.0
LEASE_MARGIN = 5.0  # seconds past the timeout before a leased delivery is sent again
RECORD_BATCH = 500
SETTLE_POLL = 0.1  # seconds between looks at a delivery another process is sending
log = logging.getLogger("shoplink.webhooks")


class Deliverer:
    """Delivers due webhooks until closed; thread-safe `pump()` may be called from anywhere."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now,
                 timeout: float = DEFAULT_TIMEOUT, concurrency: int = 32, per_endpoint: int = 16,
                 rand: Callable[[], float] = random.random,
                 only: Collection[int] | None = None) -> None:
        self.only = only  # deliver these deliveries and nothing else (`webhook test`, `retry`)
        self.engine, self.clock, self.timeout, self.rand = engine, clock, timeout, rand
        # One endpoint gets at most half the pool by default: a slow one cannot take it all.
        self.concurrency, self.per_endpoint = concurrency, min(per_endpoint, concurrency)
        self.lease = timedelta(seconds=timeout + LEASE_MARGIN)
        self.client = httpx.Client(
            timeout=timeout, follow_redirects=False, headers={"user-agent": "shoplink-webhooks"},
            limits=httpx.Limits(max_connections=concurrency,
                                max_keepalive_connections=concurrency))
        self.pool = ThreadPoolExecutor(concurrency, thread_name_prefix="webhook")
        for name in ("httpx", "httpcore"):  # one line per request is ours, not theirs
            logging.getLogger(name).setLevel(logging.WARNING)
        self.counts: Counter[str] = Counter()
        self._state = threading.Condition()
        self._in_flight: Counter[int] = Counter()
        self._pumping = self._again = self._closed = self._recording = False
        self._claiming = threading.Lock()  # one lease at a time: free workers are counted once
        self._outcomes: queue.Queue[tuple[Claimed, Outcome] | None] = queue.Queue()
        self._recorder = threading.Thread(target=self._record_loop, name="webhook-recorder",
                                          daemon=True)
        self._recorder.start()

    def pump(self) -> int | None:
        """Fan out and lease what is due: how many requests started (None: another pump runs)."""
        with self._state:
            if self._pumping or self._closed:
                self._again = True
                return None
            self._pumping = True
        started = 0
        try:
            while True:
                self._again = False
                more, sent = self._pump_once()
                started += sent
                with self._state:
                    if not (more or self._again) or self._closed:
                        self._pumping = False
                        self._state.notify_all()
                        return started
        except BaseException:
            with self._state:
                self._pumping = False
                self._state.notify_all()
            raise

    def _pump_once(self) -> tuple[bool, int]:
        now = self.clock()
        with self._claiming:
            with UnitOfWork(self.engine) as uow:
                made, more = fan_out(uow.session, now) if self.only is None else (0, False)
                claimed = self._lease(uow, now)
                uow.commit()
            self._start(claimed)
        if made:
            log.debug("%d new deliveries", made, extra={"action": "fan-out", "deliveries": made})
        return more, len(claimed)

    def _lease(self, uow: UnitOfWork, now: datetime) -> list[Claimed]:
        """Due deliveries for the free workers (the caller holds `_claiming`, then commits)."""
        with self._state:
            free = self.concurrency - sum(self._in_flight.values())
        if free <= 0:
            return []
        return claim(uow.session, lambda e: self._room(e, free), now, self.lease, self.only)

    def _start(self, claimed: list[Claimed]) -> None:
        with self._state:
            for item in claimed:
                self._in_flight[item.endpoint_id] += 1
        for item in claimed:
            self.pool.submit(self._send, item)

    def _room(self, endpoint_id: int, free: int) -> int:
        return max(0, min(free, self.per_endpoint - self._in_flight[endpoint_id]))

    def _send(self, item: Claimed) -> None:
        sent_at = self.clock()
        headers = {
            "content-type": "application/json", "webhook-id": item.message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": Webhook(item.secret).sign(item.message_id, sent_at, item.body),
        }
        start = time.perf_counter()
        status, error, answer = None, None, b""
        try:
            with self.client.stream("POST", item.url, content=item.body.encode(),
                                    headers=headers) as response:
                status = response.status_code
                for chunk in response.iter_bytes():
                    answer += chunk
                    if len(answer) >= RESPONSE_LIMIT:
                        break
        except httpx.TimeoutException:
            error = f"timed out after {self.timeout:g}s"
        except httpx.ConnectError as failure:
            error = f"cannot connect: {_first_line(failure)}"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {_first_line(failure)}"
        except Exception as failure:  # noqa: BLE001 - a worker must always report back
            error = f"{type(failure).__name__}"
        latency = (time.perf_counter() - start) * 1000
        text = answer[:RESPONSE_LIMIT].decode("utf-8", "replace") if answer else None
        self._outcomes.put((item, Outcome(item.delivery_id, sent_at, latency, status, error,
                                          text)))

    def _record_loop(self) -> None:
        while True:
            first = self._outcomes.get()
            if first is None:
                return
            with self._state:
                self._recording = True
            batch = [first]
            while len(batch) < RECORD_BATCH:
                try:
                    item = self._outcomes.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._outcomes.put(None)
                    break
                batch.append(item)
            try:
                self._record(batch)
            finally:
                with self._state:
                    self._recording = False
                    self._state.notify_all()

    def _record(self, batch: list[tuple[Claimed, Outcome]]) -> None:
        """Write the outcomes and, in the same transaction, lease the next due deliveries."""
        now = self.clock()
        statuses: list[str] = []
        claimed: list[Claimed] = []
        with self._claiming:
            try:
                with UnitOfWork(self.engine) as uow:
                    statuses = record_outcome(uow.session, [o for _, o in batch], now, self.rand)
                    self._settle(batch, statuses)
                    if not self._closed:
                        claimed = self._lease(uow, now)
                    uow.commit()
            except SQLAlchemyError as failure:
                # The leases run out and the deliveries are sent again: at least once.
                log.error("cannot record %d webhook attempts: %s", len(batch),
                          _first_line(failure), extra={"action": "error"})
                claimed = []
                if not statuses:
                    self._settle(batch, ["unrecorded"] * len(batch))
            self._start(claimed)
        for (item, outcome), status in zip(batch, statuses, strict=False):
            result = outcome.status if outcome.status is not None else outcome.error
            log.info("webhook delivery %d to endpoint %d: %s in %.1f ms, %s", item.delivery_id,
                     item.endpoint_id, result, outcome.latency_ms, status,
                     extra={"action": "deliver", "delivery": item.delivery_id,
                            "endpoint": item.endpoint_id, "status": outcome.status,
                            "error": outcome.error, "latency_ms": round(outcome.latency_ms, 1),
                            "delivery_status": status})

    def _settle(self, batch: list[tuple[Claimed, Outcome]], statuses: list[str]) -> None:
        with self._state:
            for (item, _), status in zip(batch, statuses, strict=True):
                self._in_flight[item.endpoint_id] -= 1
                self.counts[status] += 1

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no request is in flight and none is being recorded."""
        with self._state:
            return self._state.wait_for(
                lambda: not (any(self._in_flight.values()) or self._pumping or self._recording),
                timeout)

    def drain(self) -> Counter[str]:
        """One pass: deliver everything due now (retries due later wait), then return counts."""
        while self.pump() != 0:
            self.wait_idle()
        self.wait_idle()
        return self.counts

    def close(self) -> None:
        """Let the requests in flight finish and be recorded, then release the pool."""
        with self._state:
            self._closed = True
        self.pool.shutdown(wait=True)
        self._outcomes.put(None)
        self._recorder.join()
        self.client.close()


def send_now(engine: Engine, delivery_id: int, *, clock: Clock = utc_now,
             timeout: float = DEFAULT_TIMEOUT) -> None:
    """One attempt of one due delivery, recorded before this returns (`webhook test`, `retry`).

    A daemon may lease the delivery first: then its attempt is awaited, for at most the
    lease; if the lease runs out unrecorded (the daemon died), it is sent from here.
    """

    def look() -> tuple[int, bool] | None:
        with UnitOfWork(engine) as uow:
            return progress(uow.session, delivery_id)

    before = look()
    deliverer = Deliverer(engine, clock=clock, timeout=timeout, only={delivery_id})
    try:
        for _ in range(math.ceil((timeout + LEASE_MARGIN) / SETTLE_POLL) + 1):
            deliverer.drain()
            after = look()
            if before is None or after is None or after[0] != before[0] or not after[1]:
                return
            time.sleep(SETTLE_POLL)
    finally:
        deliverer.close()


def _first_line(failure: BaseException) -> str:
    return (str(failure).strip().splitlines() or [type(failure).__name__])[0]
