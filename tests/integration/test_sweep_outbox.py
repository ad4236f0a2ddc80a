"""A sweep publishes one outbox event per transition it applies, in id order with the rest.

On PostgreSQL the sweep writes its events set-based in its own statement (the per-row
trigger skips them); these tests hold it to what the trigger would have written.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shoplink.jobs.sweep import sweep
from shoplink.workflows.accounts import add_account
from shoplink.workflows.db import make_engine
from shoplink.workflows.links import accept_link, cancel_link, new_link
from shoplink.workflows.outbox import read_events
from shoplink.workflows.shops import add_shop
from shoplink.workflows.timers import apply_due
from shoplink.workflows.uow import UnitOfWork
from tests.conftest import T0, _empty_postgres

DAY = timedelta(days=1)


def test_a_sweep_publishes_exactly_one_event_per_transition_like_a_command_would(
        engine, make_shop, make_account, uow):
    shop = make_shop("Acme")
    names = ["ann", "ben", "cat"]
    links = {}
    for name in names:
        make_account(name)
        links[name] = new_link(uow(), "Acme", name, T0)["id"]
    accept_link(uow(), links["ann"], "ann", T0 + timedelta(hours=1))

    swept = sweep(engine, T0 + 3 * DAY, batch=1)

    assert swept.counts == {"expire": 2, "unlock": 1}
    published = [e for e in read_events(uow(), 0, 100) if e["actor"] == "system"]
    assert sorted((e["account"], e["type"], e["event"], e["at"]) for e in published) == [
        ("ann", "link.unlinkable", "unlock", "2026-03-03T13:00:00Z"),
        ("ben", "invitation.expired", "expire", "2026-03-04T12:00:00Z"),
        ("cat", "invitation.expired", "expire", "2026-03-04T12:00:00Z"),
    ]
    assert {(e["shop_id"], e["from_state"]) for e in published} == {
        (shop["id"], "linked"), (shop["id"], "invited")}
    with engine.connect() as connection:
        per_history_row = connection.execute(sa.text(
            "SELECT count(history_id), count(DISTINCT history_id) FROM outbox_events")).one()
        history_rows = connection.execute(sa.text("SELECT count(*) FROM link_events")).scalar()
        of_no_link = connection.execute(sa.text(
            "SELECT type FROM outbox_events WHERE history_id IS NULL")).scalars().all()
    assert tuple(per_history_row) == (history_rows, history_rows)
    assert of_no_link == ["account.business_upgraded"]  # ann's first link


@pytest.fixture
def postgres_uow(postgres_database):
    """PostgreSQL only: SQLite has one writer at a time, so ids follow commit order there."""
    _empty_postgres(postgres_database)
    engine = make_engine(postgres_database)
    yield lambda: UnitOfWork(engine)
    engine.dispose()


def test_a_command_committing_during_a_sweep_gets_a_later_event_id(postgres_uow):
    """The sweep holds the outbox lock from its ids to its commit, so a reader that has
    seen the command's event can never miss the sweep's, committed earlier."""
    uow = postgres_uow
    for shop in ("Acme", "Beta"):
        add_shop(uow(), shop, T0)
    for name in ("ann", "ben"):
        add_account(uow(), {"username": name}, T0)
    expiring = new_link(uow(), "Acme", "ann", T0)["id"]
    other = new_link(uow(), "Beta", "ben", T0 + 3 * DAY)["id"]

    sweeping = uow()
    with sweeping:
        assert apply_due(sweeping.session, T0 + 3 * DAY, limit=10, skip_locked=True).total == 1
        command = threading.Thread(target=cancel_link, args=(uow(), other, T0 + 3 * DAY))
        command.start()
        command.join(timeout=1)
        assert command.is_alive(), "the command committed while the sweep held the outbox lock"
        sweeping.commit()
    command.join(timeout=10)
    assert not command.is_alive()

    order = [(e["link_id"], e["event"]) for e in read_events(uow(), 0, 100)][-2:]
    assert order == [(expiring, "expire"), (other, "cancel")]
