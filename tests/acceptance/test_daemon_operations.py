"""A daemon as an operator watches it: Prometheus metrics over loopback, a heartbeat row."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from shoplink.cli.main import cli
from shoplink.workflows.db import make_engine
from shoplink.workflows.models import DaemonHeartbeat
from tests.acceptance.daemons import SHOPLINK, insert_due_links, wait_until

pytestmark = pytest.mark.slow
SECOND = timedelta(seconds=1)


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    """Every sample of http://127.0.0.1:PORT/metrics, keyed by name and labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.status == 200
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def heartbeats(url: str) -> list:
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(DaemonHeartbeat).order_by(DaemonHeartbeat.id)).all()
    engine.dispose()
    return rows


def test_the_metrics_endpoint_counts_transitions_lateness_sweeps_and_backlog(
        database_url, daemons):
    daemon = daemons(database_url, "--metrics-port", "0")
    port = daemon.wait_for("metrics")["port"]
    daemon.wait_for("start")
    started = datetime.now(UTC)
    insert_due_links(database_url, [("expire", started - 30 * SECOND),
                                    ("expire", started + SECOND), ("unlock", started + SECOND)])
    daemon.wait_swept(3, timeout=10)
    wait_until(lambda: scrape(port)[("shoplink_backlog_transitions", ())] == 0
               and scrape(port)[("shoplink_transitions_applied_total", (("event", "unlock"),))]
               == 1, 10, "the metrics of the last sweep")
    samples = scrape(port)

    def value(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted(labels.items())))]

    assert value("shoplink_transitions_applied_total", event="expire") == 2
    assert value("shoplink_sweep_duration_seconds_count") >= 1
    assert value("shoplink_sweep_failures_total") == 0
    assert value("shoplink_transition_lateness_seconds_count") >= 1  # one per batch
    assert value("shoplink_transition_lateness_seconds_sum") >= 29  # the 30-second-late expiry
    assert value("shoplink_transition_lateness_seconds_bucket", le="60.0") >= 1
    assert value("shoplink_backlog_oldest_age_seconds") == 0
    assert value("shoplink_last_successful_sweep_timestamp_seconds") >= started.timestamp()
    assert daemon.stop() == 0


def test_a_daemon_beats_while_running_and_is_marked_stopped_after_sigterm(database_url, daemons):
    daemon = daemons(database_url)
    daemon.wait_for("heartbeat")
    [row] = heartbeats(database_url)
    assert (row.pid, row.stopped_at) == (daemon.process.pid, None)
    assert row.host == socket.gethostname()
    require = ["--db", database_url, "status", "--require-daemon"]
    assert CliRunner().invoke(cli, require).exit_code == 0
    assert daemon.stop() == 0
    [row] = heartbeats(database_url)
    assert row.stopped_at is not None and row.stopped_at >= row.started_at
    assert CliRunner().invoke(cli, require).exit_code == 8


def test_a_metrics_port_in_use_is_refused_with_one_line_and_exit_2(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [SHOPLINK, "--db", f"sqlite:///{tmp_path / 'x.db'}", "daemon", "--metrics-port",
             str(port)], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"error: cannot serve metrics on 127.0.0.1:{port}: Address already in use")
