"""The daemon's Prometheus metrics, served over HTTP by prometheus-client.

Counts and lateness come from what each sweep returns (jobs.sweep.Swept), duration
and the last success from the daemon timing it, and the backlog from two index counts
after each sweep and on each heartbeat. The daemon hands its sweeps to `observe`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy.engine import Engine

from shoplink.jobs.sweep import Swept
from shoplink.workflows.errors import BadInput
from shoplink.workflows.vocabulary import TIMERS

LATENESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    """The metrics of one daemon, in their own registry; it observes the daemon's sweeps."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.transitions = Counter(
            "shoplink_transitions_applied", "Timer transitions applied by this daemon.",
            ["event"], registry=self.registry)
        for timer in TIMERS:
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

    def swept(self, result: Swept, seconds: float) -> None:
        """Count what one sweep applied, how late each batch was and how long it took."""
        for event, count in result.counts.items():
            if count:
                self.transitions.labels(event=event).inc(count)
        for lateness in result.lateness:
            self.lateness.observe(lateness)
        self.sweep_duration.observe(seconds)
        self.last_success.set(time.time())

    def failed(self) -> None:
        self.sweep_failures.inc()

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
