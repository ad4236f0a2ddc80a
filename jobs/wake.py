"""Waking the deliverer when outbox events commit, rather than an interval later.

PostgreSQL: LISTEN on the channel that migration 0008's trigger NOTIFYs at commit.
SQLite: a cheap poll of the newest outbox id (a primary-key lookup) every `poll` seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from shoplink.workflows.db import READ_ONLY
from shoplink.workflows.models import OutboxEvent

CHANNEL = "shoplink_outbox"
log = logging.getLogger("shoplink.webhooks")


class OutboxWatcher:
    """A thread calling `on_new()` whenever new outbox events have committed."""

    def __init__(self, engine: Engine, on_new: Callable[[], Any], poll: float = 0.05) -> None:
        self.engine, self.on_new, self.poll = engine, on_new, poll
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-watcher", daemon=True)

    def start(self) -> OutboxWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.engine.dialect.name == "postgresql":
                    self._listen()
                else:
                    self._watch_newest()
            except Exception as failure:  # noqa: BLE001 - the safety-net job still delivers
                log.debug("outbox watcher failed, retrying: %s", type(failure).__name__,
                          extra={"action": "error"})
                self._stop.wait(1.0)

    def _listen(self) -> None:
        raw = self.engine.raw_connection()
        try:
            connection = raw.driver_connection
            connection.autocommit = True  # type: ignore[union-attr]
            connection.execute(f"LISTEN {CHANNEL}")  # type: ignore[union-attr]
            while not self._stop.is_set():
                if list(connection.notifies(timeout=0.2, stop_after=1)):  # type: ignore[union-attr]
                    self.on_new()
        finally:
            raw.invalidate()

    def _watch_newest(self) -> None:
        newest = sa.select(sa.func.max(OutboxEvent.id))
        seen = None
        # Read-only: on SQLite a writing connection holds the process's write turn until it
        # goes back to the pool, which this long-lived one never does.
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            while not self._stop.is_set():
                current = connection.execute(newest).scalar()
                connection.rollback()  # end the read so the WAL can be checkpointed
                if current != seen:
                    if seen is not None:
                        self.on_new()
                    seen = current
                self._stop.wait(self.poll)
