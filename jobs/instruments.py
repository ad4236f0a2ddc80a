"""What a running daemon shows the outside: its heartbeat row and, if asked, its metrics."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy.engine import Engine

from shoplink.jobs.heartbeat import Heartbeat
from shoplink.workflows.clock import Clock

log = logging.getLogger("shoplink.jobs")


@contextmanager
def instrumented(daemon: Any, engine: Engine, clock: Clock, *, metrics_port: int | None = None,
                 metrics_address: str = "127.0.0.1") -> Iterator[None]:
    """Beat while `daemon` runs; with a port, time its sweeps and serve /metrics.

    `daemon.sweep` is what the scheduler calls: it is wrapped on this instance only.
    """
    with ExitStack() as stack:
        on_beat = None
        if metrics_port is not None:
            from shoplink.jobs.metrics import Metrics

            metrics = Metrics()
            sweep = metrics.timed(daemon.sweep)

            def sweep_and_measure() -> None:
                sweep()
                metrics.measure_backlog(engine, clock())

            def on_beat() -> None:
                metrics.measure_backlog(engine, clock())

            daemon.sweep = sweep_and_measure
            shoplink_log = logging.getLogger("shoplink")
            shoplink_log.addHandler(metrics)
            stack.callback(shoplink_log.removeHandler, metrics)
            if not log.isEnabledFor(logging.INFO):  # the batch records feed the counters
                log.setLevel(logging.INFO)
            port, shut = metrics.serve(metrics_port, metrics_address)
            stack.callback(shut)
            log.info("metrics on http://%s:%d/metrics", metrics_address, port,
                     extra={"action": "metrics", "address": metrics_address, "port": port})
        stack.enter_context(Heartbeat(engine, clock=clock, on_beat=on_beat))
        yield
