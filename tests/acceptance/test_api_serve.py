"""The whole workflow over real HTTP against `shoplink serve` on loopback, and its start-up."""

from __future__ import annotations

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from shoplink.workflows.clock import iso
from shoplink.workflows.validate import timestamp as parse_iso
from tests.conftest import T0, unavailable

pytestmark = pytest.mark.slow


def _shoplink() -> list[str]:
    script = Path(sys.executable).with_name("shoplink")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from cli.main import main; main()"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _libfaketime() -> str:
    """The preload library of Debian's faketime (preloaded directly, so that SIGTERM
    reaches the server itself rather than a wrapper process)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))
    if not found:
        unavailable("libfaketime is not installed: apt-get install faketime")
    return found[0]


@contextmanager
def served(database_url: str, now: datetime, log: Path) -> Iterator[httpx.Client]:
    """`shoplink serve` on a free loopback port, its clock started at `now` by libfaketime
    (the server has no test hook of its own); stopped by SIGTERM."""
    port = _free_port()
    env = {**os.environ, "TZ": "UTC", "LD_PRELOAD": _libfaketime(),
           "FAKETIME": f"@{now.astimezone(UTC):%Y-%m-%d %H:%M:%S}"}
    with log.open("ab") as output:
        server = subprocess.Popen([*_shoplink(), "--db", database_url, "serve", "--port",
                                   str(port)], env=env, stdout=output, stderr=output)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "shoplink serve did not answer within 30 s"
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield client
    finally:
        client.close()
        server.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert server.wait(timeout=15) in (0, -signal.SIGTERM), log.read_text()
        assert log.read_text().rstrip().endswith("Finished server process "
                                                 f"[{server.pid}]"), log.read_text()


def _token(run_cli, *who: str) -> dict[str, str]:
    issued = json.loads(run_cli("token", "issue", *who, json=True).output)
    return {"Authorization": f"Bearer {issued['token']}"}


def test_a_seller_and_an_account_run_the_whole_workflow_over_http(run_cli, database_url,
                                                                  tmp_path):
    shop = json.loads(run_cli("shop", "add", "Acme", json=True).output)
    run_cli("account", "add", "alice", "--nickname", "Alice Wonder")
    seller, alice = _token(run_cli, "--shop", "Acme"), _token(run_cli, "--account", "alice")
    log = tmp_path / "serve.log"
    with served(database_url, T0, log) as http:
        found = http.get(f"/v1/shops/{shop['id']}/accounts", params={"q": "alice w"},
                         headers=seller)
        assert [a["username"] for a in found.json()] == ["alice"]
        created = http.post(f"/v1/shops/{shop['id']}/links", json={"account": "alice"},
                            headers={**seller, "Idempotency-Key": "new-alice"})
        assert created.status_code == 201 and created.json()["state"] == "invited"
        link = created.json()["id"]
        inbox = http.get("/v1/me/invitations", headers=alice).json()
        assert [i["id"] for i in inbox] == [link]
        accepted = http.post(f"/v1/links/{link}/accept", headers=alice)
        assert accepted.json()["linked_at"].startswith("2026-03-02T12:0")
        too_early = http.post(f"/v1/links/{link}/unlink", headers=seller)
        assert too_early.status_code == 409
        assert too_early.json()["error"]["code"] == "unlink_too_early"
    with served(database_url, T0 + timedelta(hours=24, minutes=1), log) as http:
        unlinked = http.post(f"/v1/links/{link}/unlink", headers=seller)
        assert unlinked.status_code == 200 and unlinked.json()["state"] == "unlinked"
        history = http.get(f"/v1/links/{link}", headers=alice).json()["history"]
        unlock, unlink = history[-2:]
        assert (unlock["event"], unlink["event"]) == ("unlock", "unlink")
        assert unlock["at"] == iso(parse_iso(accepted.json()["unlockable_at"]))
        assert unlink["at"].startswith("2026-03-03T12:01:")
        assert http.get("/openapi.json").json()["info"]["title"] == "shoplink"
    assert "Traceback" not in log.read_text()


def test_serve_without_fastapi_says_how_to_install_it(run_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    result = run_cli("serve")
    assert result.exit_code == 2
    assert result.stderr == ("error: the HTTP API needs FastAPI and uvicorn: "
                             "pip install 'shoplink[api]'\n")


def test_serve_help_names_the_default_it_runs_with(run_cli):
    from shoplink.api.serving import DEFAULT_THREADS

    help_text = " ".join(run_cli("serve", "--help").output.split())
    assert f"Requests one process works on at once [default: {DEFAULT_THREADS}]" in help_text


def test_help_does_not_import_the_web_stack():
    probe = ("import sys; from click.testing import CliRunner; from cli.main import cli; "
             "CliRunner().invoke(cli, ['--help']); CliRunner().invoke(cli, ['serve', '--help']); "
             "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'shoplink.api.app') "
             "if m in sys.modules))")
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "[]"
