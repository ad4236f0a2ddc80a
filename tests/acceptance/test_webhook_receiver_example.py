"""The receiver example of docs/webhooks.md runs: it accepts shoplink's signed deliveries,
prints each event once, and refuses a request whose signature does not match."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from shoplink.jobs.deliveries import Deliverer
from shoplink.workflows.accounts import add_account
from shoplink.workflows.db import make_engine
from shoplink.workflows.links import new_link
from shoplink.workflows.shops import add_shop
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.webhooks import add_endpoint, list_deliveries

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def example() -> str:
    section = DOC.read_text().split("## A receiver that verifies the signature", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S)[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_documented_receiver_verifies_real_deliveries(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "shoplink.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'shoplink.db'}")
    now = datetime.now(UTC)
    port = free_port()
    secret = add_endpoint(UnitOfWork(engine), f"http://127.0.0.1:{port}/tiktok",
                          ["invitation.sent"], now)["secret"]
    (tmp_path / "receiver.py").write_text(example())
    receiver = subprocess.Popen(
        [sys.executable, str(tmp_path / "receiver.py")], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "SHOPLINK_WEBHOOK_SECRET": secret, "PORT": str(port)})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and receiver.poll() is None
                time.sleep(0.05)
        add_shop(UnitOfWork(engine), "Acme", now)
        add_account(UnitOfWork(engine), {"username": "alice"}, now)
        link = new_link(UnitOfWork(engine), "Acme", "alice", now)
        deliverer = Deliverer(engine, timeout=5)
        deliverer.drain()
        deliverer.close()
        [delivery] = list_deliveries(UnitOfWork(engine))
        assert (delivery["status"], delivery["last_status"]) == ("delivered", 204)
        forged = httpx.post(f"http://127.0.0.1:{port}/tiktok", content=b'{"type":"x"}',
                            headers={"webhook-id": "evt_1", "webhook-timestamp":
                                     str(int(time.time())), "webhook-signature": "v1,AAAA"})
        assert forged.status_code == 400
    finally:
        receiver.terminate()
        printed = receiver.communicate(timeout=10)[0]
        engine.dispose()
    assert printed.splitlines() == [f"invitation.sent alice {link['id']}"]
