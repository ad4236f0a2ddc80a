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
    """Beat while `daemon` runs; with a port, observe its sweeps and serve /metrics."""
    with ExitStack() as stack:
        on_beat = None
        if metrics_port is not None:
            from shoplink.jobs.metrics import Metrics

            metrics = Metrics()

            def on_beat() -> None:
                metrics.measure_backlog(engine, clock())

            class Observer:
                """Counts each sweep, then measures the backlog it left."""

                def swept(self, result: Any, seconds: float) -> None:
                    metrics.swept(result, seconds)
                    on_beat()

                def failed(self) -> None:
                    metrics.failed()

            daemon.observers.append(Observer())
            port, shut = metrics.serve(metrics_port, metrics_address)
            stack.callback(shut)
            log.info("metrics on http://%s:%d/metrics", metrics_address, port,
                     extra={"action": "metrics", "address": metrics_address, "port": port})
        stack.enter_context(Heartbeat(engine, clock=clock, on_beat=on_beat))
        yield
