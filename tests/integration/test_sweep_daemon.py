"""The daemon's jobs called in-process: where the wake-up lands, retries, database outages."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from shoplink.jobs.daemon import WAKE_UP, Daemon
from shoplink.workflows.db import make_engine
from shoplink.workflows.links import cancel_link, new_link
from shoplink.workflows.models import Link
from tests.conftest import T0

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def daemon(engine):
    """A daemon on a paused background scheduler, its clock at T0 + 2h (`daemon.clock.now`)."""
    scheduler = BackgroundScheduler()
    built = Daemon(engine, clock=Clock(T0 + 2 * HOUR), scheduler=scheduler)
    scheduler.start(paused=True)
    yield built
    scheduler.shutdown(wait=False)


def wake_up(daemon):
    job = daemon.scheduler.get_job(WAKE_UP)
    return job.next_run_time if job else None


@pytest.fixture
def invitations(make_shop, make_account, uow):
    """Invitations sent at T0 and T0 + 1h: they expire at T0 + 48h and T0 + 49h."""
    make_shop("Acme")
    make_account("alice")
    make_account("bob")
    return [new_link(uow(), "Acme", "alice", T0)["id"],
            new_link(uow(), "Acme", "bob", T0 + HOUR)["id"]]


def test_after_each_sweep_the_wake_up_is_armed_at_the_next_deadline(daemon, invitations):
    daemon.sweep()
    assert wake_up(daemon) == T0 + 48 * HOUR
    daemon.clock.now = T0 + 48 * HOUR
    daemon.sweep()
    assert wake_up(daemon) == T0 + 49 * HOUR


def test_with_no_pending_timer_no_wake_up_is_armed(daemon):
    daemon.sweep()
    daemon.look_ahead()
    assert wake_up(daemon) is None


def test_the_look_ahead_brings_the_wake_up_forward_but_never_back(daemon, invitations, uow,
                                                                   make_account):
    daemon.look_ahead()
    assert wake_up(daemon) == T0 + 48 * HOUR
    cancel_link(uow(), invitations[0], T0 + 2 * HOUR)
    daemon.look_ahead()
    assert wake_up(daemon) == T0 + 48 * HOUR  # early is harmless: that sweep re-arms
    make_account("carol")
    new_link(uow(), "Acme", "carol", T0 + 2 * HOUR, ttl=HOUR)
    daemon.look_ahead()
    assert wake_up(daemon) == T0 + 3 * HOUR


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_rows_another_daemon_holds_are_looked_at_again_a_second_later(daemon, invitations,
                                                                       engine):
    daemon.clock.now = T0 + 48 * HOUR
    with engine.connect() as other:  # another daemon's batch, not yet committed
        other.execute(sa.select(Link.id).where(Link.id == invitations[0]).with_for_update())
        daemon.sweep()
    assert wake_up(daemon) == T0 + 48 * HOUR + SECOND


def test_a_database_outage_is_one_error_line_and_its_end_one_more(daemon, engine, caplog):
    caplog.set_level(logging.DEBUG, logger="shoplink.jobs")
    daemon.engine = make_engine("postgresql+psycopg://shoplink:secret@127.0.0.1:1/gone")
    daemon.sweep()
    daemon.look_ahead()
    daemon.sweep()
    daemon.engine = engine
    daemon.sweep()
    lines = [(r.levelname, r.action) for r in caplog.records if hasattr(r, "action")]
    assert lines == [("ERROR", "error"), ("DEBUG", "error"), ("DEBUG", "error"),
                     ("INFO", "recovered")]
    assert "secret" not in caplog.text
