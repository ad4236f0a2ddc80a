"""The daemon's Prometheus metrics, served over HTTP by prometheus-client.

Counts and lateness come from the sweep's per-batch log records (their structured
`extra` fields), duration and the last success from timing each sweep, and the
backlog from two index counts after each sweep and on each heartbeat.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy.engine import Engine

from shoplink.workflows.errors import BadInput
from shoplink.workflows.machine import timers

LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics(logging.Handler):
    """The metrics of one daemon, in their own registry; also a log handler for sweep batches."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.registry = CollectorRegistry()
        self.transitions = Counter(
            "shoplink_transitions_applied", "Timer transitions applied by this daemon.",
            ["event"], registry=self.registry)
        for timer in timers():
            self.transitions.labels(event=timer.event)
        self.sweep_duration = Histogram(
            "shoplink_sweep_duration_seconds", "Wall time of each sweep, all batches.",
            buckets=DURATION_BUCKETS, registry=self.registry)
        self.sweep_failures = Counter(
            "shoplink_sweep_failures", "Sweeps that ended with an error.", registry=self.registry)
        self.lateness = Histogram(
            "shoplink_transition_lateness_seconds",
            "How late each sweep batch was: its start minus its oldest deadline.",
            buckets=LATENESS_BUCKETS, registry=self.registry)
        self.backlog = Gauge(
            "shoplink_backlog_transitions", "Overdue timer transitions not applied yet.",
            registry=self.registry)
        self.backlog_age = Gauge(
            "shoplink_backlog_oldest_age_seconds", "Age of the oldest overdue transition.",
            registry=self.registry)
        self.last_success = Gauge(
            "shoplink_last_successful_sweep_timestamp_seconds",
            "Unix time at which the last sweep finished without error.", registry=self.registry)

    def emit(self, record: logging.LogRecord) -> None:
        """Count the transitions of each committed batch the sweep logs."""
        if getattr(record, "action", None) != "sweep":
            return
        for event, count in (getattr(record, "counts", None) or {}).items():
            if count:
                self.transitions.labels(event=event).inc(count)
        lateness = getattr(record, "lateness_seconds", None)
        if lateness is not None:
            self.lateness.observe(max(0.0, float(lateness)))

    def timed(self, sweep: Callable[[], Any]) -> Callable[[], Any]:
        """`sweep`, timed, with its successes and failures recorded."""

        @functools.wraps(sweep)
        def run() -> Any:
            started = time.perf_counter()
            try:
                result = sweep()
            except Exception:
                self.sweep_failures.inc()
                raise
            self.sweep_duration.observe(time.perf_counter() - started)
            self.last_success.set(time.time())
            return result

        return run

    def measure_backlog(self, engine: Engine, now: datetime) -> None:
        from shoplink.workflows.status import backlog
        from shoplink.workflows.uow import UnitOfWork

        with UnitOfWork(engine) as uow:
            found = backlog(uow.session, now)
        self.backlog.set(found["total"])
        self.backlog_age.set(found["oldest_age_seconds"])

    def serve(self, port: int, address: str = "127.0.0.1") -> tuple[int, Callable[[], None]]:
        """Serve /metrics on a thread (port 0: any free port); the port and how to stop it."""
        try:
            server, thread = start_http_server(port, addr=address, registry=self.registry)
        except OSError as failure:
            raise BadInput(f"cannot serve metrics on {address}:{port}: {failure.strerror}"
                           ) from None

        def shut() -> None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

        return server.server_address[1], shut
