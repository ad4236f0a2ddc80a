"""A daemon's heartbeat row: written on start, touched every few seconds, closed on exit.

`shoplink status` reads these rows to say which daemons are alive. A daemon killed
with SIGKILL leaves its row open; it shows as silent once it stops beating.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shoplink.workflows.clock import Clock, utc_now
from shoplink.workflows.models import DaemonHeartbeat

BEAT_EVERY = 5.0
log = logging.getLogger("shoplink.jobs")


class Heartbeat:
    """Beats on its own thread, so a long sweep never makes a live daemon look dead."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now, every: float = BEAT_EVERY,
                 on_beat: Callable[[], None] | None = None) -> None:
        self.engine, self.clock, self.every, self.on_beat = engine, clock, every, on_beat
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.id: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        now = self.clock()
        with self.engine.begin() as connection:
            self.id = connection.execute(
                sa.insert(DaemonHeartbeat).values(host=self.host, pid=self.pid, started_at=now,
                                                  last_beat_at=now).returning(DaemonHeartbeat.id)
            ).scalar_one()
        log.info("heartbeat %d: %s pid %d, every %gs", self.id, self.host, self.pid, self.every,
                 extra={"action": "heartbeat", "daemon_id": self.id})
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every + 5)
        self._touch(stopped=True)

    def beat(self) -> None:
        self._touch(stopped=False)
        if self.on_beat is not None:
            self.on_beat()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception as failure:  # noqa: BLE001 - a missed beat must not end the daemon
                log.warning("heartbeat failed: %s", type(failure).__name__,
                            extra={"action": "heartbeat", "error": str(failure)[:200]})

    def _touch(self, *, stopped: bool) -> None:
        now = self.clock()
        values = {"last_beat_at": now, **({"stopped_at": now} if stopped else {})}
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(DaemonHeartbeat).where(DaemonHeartbeat.id == self.id).values(**values))
