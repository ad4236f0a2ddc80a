"""Real `shoplink daemon` processes, and due links inserted as rows (Core executemany).

Backlogs skip the service layer on purpose: 20,000 links through it would take minutes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Account, Link, LinkEvent, Shop

SHOPLINK = str(Path(sys.executable).with_name("shoplink"))
ACCOUNTS_PER_SHOP = 200  # each link needs its own (shop, account) pair: one open link each


class DaemonProcess:
    """`shoplink --json daemon` in a subprocess; its JSON log lines are collected as they come."""

    def __init__(self, url: str, *options: str) -> None:
        self.process = subprocess.Popen(
            [SHOPLINK, "--db", url, "--json", "daemon", *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                self.lines.append({"message": line.rstrip()})

    def logged(self, action: str) -> list[dict[str, Any]]:
        return [line for line in list(self.lines) if line.get("action") == action]

    def wait_for(self, action: str, timeout: float = 20.0) -> dict[str, Any]:
        """The first log line of `action`, waiting for it (a dead daemon fails at once)."""
        until = time.monotonic() + timeout
        while not self.logged(action):
            assert self.process.poll() is None, f"daemon exited: {self.lines}"
            assert time.monotonic() < until, f"no {action!r} line in {timeout}s: {self.lines}"
            time.sleep(0.01)
        return self.logged(action)[0]

    def swept(self) -> int:
        """Transitions this daemon reports having committed."""
        return sum(sum(line["counts"].values()) for line in self.logged("sweep"))

    def wait_swept(self, count: int, timeout: float = 20.0) -> None:
        wait_until(lambda: self.swept() >= count, timeout, f"{count} transitions: {self.lines}")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        code = self.process.wait(timeout)
        self._reader.join(timeout)
        return code


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    until = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < until, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.02)


def _engine(url: str) -> sa.Engine:
    return make_engine(url, poolclass=sa.pool.NullPool)


def insert_due_links(url: str, timers: list[tuple[str, datetime]], prefix: str = "t") -> None:
    """One link per (event, deadline): `expire` gives an invitation, `unlock` a linked link."""
    shops = -(-len(timers) // ACCOUNTS_PER_SHOP)
    accounts = min(len(timers), ACCOUNTS_PER_SHOP)
    start = min(deadline for _, deadline in timers) - timedelta(days=3)
    engine = _engine(url)
    with engine.begin() as connection:
        shop_ids = connection.execute(
            sa.insert(Shop).returning(Shop.id, sort_by_parameter_order=True), [
            {"name": f"{prefix} shop {n}", "region": "US", "created_at": start}
            for n in range(shops)]).scalars().all()
        account_ids = connection.execute(
            sa.insert(Account).returning(Account.id, sort_by_parameter_order=True), [
                {"username": f"{prefix}user{n}", "nickname": "", "nickname_key": "",
                 "region": "US", "status": "active", "created_at": start, "updated_at": start}
                for n in range(accounts)]).scalars().all()
        connection.execute(sa.insert(Link), [
            _link_row(event, deadline, shop_ids[n // ACCOUNTS_PER_SHOP],
                      account_ids[n % ACCOUNTS_PER_SHOP])
            for n, (event, deadline) in enumerate(timers)])
    engine.dispose()


def _link_row(event: str, deadline: datetime, shop_id: int, account_id: int) -> dict[str, Any]:
    row: dict[str, Any] = {"shop_id": shop_id, "account_id": account_id, "invited_at": None,
                           "expires_at": None, "linked_at": None, "unlockable_at": None,
                           "ended_at": None}
    if event == "expire":
        begun = deadline - timedelta(hours=48)
        row.update(state="invited", invited_at=begun, expires_at=deadline)
    else:
        begun = deadline - timedelta(hours=24)
        row.update(state="linked", invited_at=begun, linked_at=begun, unlockable_at=deadline)
    return row | {"created_at": begun}


def pending(url: str) -> int:
    """Links still waiting for their timer (invited or linked)."""
    engine = _engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).where(Link.state.in_(["invited", "linked"]))).scalar()
    engine.dispose()
    return int(count or 0)


def timer_events(url: str) -> list[Any]:
    """Every expire and unlock history row, with its link's current state."""
    engine = _engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(LinkEvent.link_id, LinkEvent.event, LinkEvent.to_state, LinkEvent.actor,
                      LinkEvent.at, LinkEvent.recorded_at, Link.state)
            .join(Link, Link.id == LinkEvent.link_id)
            .where(LinkEvent.event.in_(["expire", "unlock"]))
            .order_by(LinkEvent.id)).all()
    engine.dispose()
    return rows
