"""The daemon's heartbeat row and its metrics, without a daemon process."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from shoplink.jobs.heartbeat import Heartbeat
from shoplink.jobs.metrics import Metrics
from shoplink.workflows.models import DaemonHeartbeat
from tests.conftest import T0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self):
        return self.now


def row(engine, key):
    with engine.connect() as connection:
        return connection.execute(
            sa.select(DaemonHeartbeat).where(DaemonHeartbeat.id == key)).one()


def test_a_heartbeat_row_is_opened_touched_and_closed(engine):
    clock = Clock()
    beats = []
    with Heartbeat(engine, clock=clock, every=0.02, on_beat=lambda: beats.append(1)) as beat:
        assert (row(engine, beat.id).started_at, row(engine, beat.id).stopped_at) == (T0, None)
        clock.now = T0 + timedelta(seconds=7)
        deadline = time.monotonic() + 5
        while row(engine, beat.id).last_beat_at != clock.now:
            assert time.monotonic() < deadline, "no beat in 5 seconds"
            time.sleep(0.01)
        assert beats
        clock.now = T0 + timedelta(seconds=9)
    closed = row(engine, beat.id)
    assert closed.stopped_at == closed.last_beat_at == T0 + timedelta(seconds=9)


def test_metrics_count_what_each_sweep_of_the_daemon_returns(engine, make_shop, make_account,
                                                             uow):
    from shoplink.jobs.daemon import Daemon
    from shoplink.workflows.links import new_link

    make_shop("Acme")
    for name in ("ann", "ben", "cat"):
        make_account(name)
        new_link(uow(), "Acme", name, T0)
    later = T0 + timedelta(days=2, seconds=3)
    daemon = Daemon(engine, clock=lambda: later, batch=2)
    metrics = Metrics()
    daemon.observers.append(metrics)
    daemon.sweep()
    sample = metrics.registry.get_sample_value
    assert sample("shoplink_transitions_applied_total", {"event": "expire"}) == 3
    assert sample("shoplink_transitions_applied_total", {"event": "unlock"}) == 0
    assert sample("shoplink_transition_lateness_seconds_count") == 2  # two batches
    assert sample("shoplink_transition_lateness_seconds_sum") == 6.0
    assert sample("shoplink_sweep_duration_seconds_count") == 1
    assert sample("shoplink_last_successful_sweep_timestamp_seconds") > 0


def test_a_failed_sweep_is_counted_and_leaves_the_last_success_alone(tmp_path):
    from shoplink.jobs.daemon import Daemon
    from shoplink.workflows.db import make_engine

    broken = make_engine(f"sqlite:///{tmp_path}/missing/dir/shoplink.db")
    daemon = Daemon(broken, clock=lambda: T0)
    metrics = Metrics()
    daemon.observers.append(metrics)
    daemon.sweep()  # the outage is reported, not raised: the next job retries
    sample = metrics.registry.get_sample_value
    assert sample("shoplink_sweep_failures_total") == 1
    assert sample("shoplink_sweep_duration_seconds_count") == 0
    assert sample("shoplink_last_successful_sweep_timestamp_seconds") == 0
