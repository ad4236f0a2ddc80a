"""The event outbox: one event per transition, in its transaction, read in order, resumable."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.errors import Refused
from shoplink.workflows.links import accept_link, decline_link, new_link, unlink_link
from shoplink.workflows.outbox import read_events
from shoplink.workflows.timers import apply_due
from tests.conftest import T0
from tests.integration import shoplink_process as shoplink

DAY = timedelta(days=1)


def events(uow, after=0):
    return read_events(uow(), after, 1000)


def test_every_transition_appends_one_event_in_order_with_its_link_shop_and_account(
        make_shop, make_account, uow):
    shop = make_shop("Acme")
    make_account("alice")
    link = new_link(uow(), "Acme", "alice", T0)
    accept_link(uow(), link["id"], "alice", T0 + timedelta(hours=1))
    with uow() as work:
        apply_due(work.session, T0 + 2 * DAY)
        work.commit()
    unlink_link(uow(), link["id"], T0 + 2 * DAY)

    everything = events(uow)
    assert [e["type"] for e in everything] == [
        "link.searched", "link.verified", "invitation.sent", "link.linked",
        "account.business_upgraded", "link.unlinkable", "link.unlinked"]
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)
    found = [e for e in everything if e["link_id"] is not None]
    assert {(e["link_id"], e["shop_id"], e["account"]) for e in found} == {
        (link["id"], shop["id"], "alice")}
    unlock = found[4]
    assert (unlock["event"], unlock["actor"]) == ("unlock", "system")
    assert unlock["at"] == "2026-03-03T13:00:00Z"  # the deadline, not the sweep's time


def test_expiry_decline_and_rejection_are_events_too(make_shop, make_account, uow):
    make_shop("Acme")
    for name in ("bob", "carol"):
        make_account(name)
    make_account("dave", status="banned")
    expiring = new_link(uow(), "Acme", "bob", T0)
    declining = new_link(uow(), "Acme", "carol", T0)
    decline_link(uow(), declining["id"], "carol", T0)
    with pytest.raises(Refused):
        new_link(uow(), "Acme", "dave", T0)
    with uow() as work:
        apply_due(work.session, T0 + 3 * DAY)
        work.commit()
    skipped = ("link.searched", "link.verified", "invitation.sent")
    types = [e["type"] for e in events(uow) if e["type"] not in skipped]
    assert types == ["invitation.declined", "link.rejected", "invitation.expired"]
    assert events(uow)[-1]["link_id"] == expiring["id"]


def test_a_transition_rolled_back_leaves_no_event(make_shop, make_account, uow):
    make_shop("Acme")
    make_account("alice")
    new_link(uow(), "Acme", "alice", T0)
    before = events(uow)
    with uow() as work:
        applied = apply_due(work.session, T0 + 3 * DAY)  # not committed
    assert applied.total == 1
    assert events(uow) == before


def test_events_prints_in_order_and_resumes_after_an_id(make_shop, make_account, uow, run_cli):
    make_shop("Acme")
    make_account("alice")
    new_link(uow(), "Acme", "alice", T0)
    text = run_cli("events")
    assert text.exit_code == 0
    assert [line.split()[0] for line in text.output.splitlines()] == ["1", "2", "3"]
    assert "invitation.sent" in text.output and "@alice" in text.output

    lines = run_cli("events", "--after", "1", json=True).output.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [2, 3]
    limited = run_cli("events", "--limit", "1", json=True).output.splitlines()
    assert [json.loads(line)["type"] for line in limited] == ["link.searched"]


def test_a_named_consumer_resumes_where_it_stopped(make_shop, make_account, uow, run_cli):
    make_shop("Acme")
    make_account("alice")
    link = new_link(uow(), "Acme", "alice", T0)
    first = run_cli("events", "--consumer", "tiktok-app", json=True).output.splitlines()
    assert len(first) == 3
    accept_link(uow(), link["id"], "alice", T0)
    second = run_cli("events", "--consumer", "tiktok-app", json=True).output.splitlines()
    assert [json.loads(line)["type"] for line in second] == ["link.linked",
                                                             "account.business_upgraded"]
    assert run_cli("events", "--consumer", "tiktok-app").output == ""
    assert len(run_cli("events", "--consumer", "seller-center").output.splitlines()) == 5


def test_a_bad_consumer_name_or_after_is_refused_with_exit_2(run_cli):
    assert run_cli("events", "--consumer", " ").exit_code == 2
    assert run_cli("events", "--after", "-1").exit_code == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_event_committed_after_a_newer_one_is_not_skipped_by_a_reader(
        database_url, make_shop, make_account, uow):
    """PostgreSQL: transaction A writes first but commits after B; a reader that saw B's
    event and resumes after its id must still get A's."""
    make_shop("Acme")
    for name in ("alice", "bob"):
        make_account(name)
    links = [new_link(uow(), "Acme", name, T0)["id"] for name in ("alice", "bob")]
    seen = events(uow)[-1]["id"]
    engine = make_engine(database_url, poolclass=sa.pool.NullPool)
    insert = sa.text(
        "INSERT INTO link_events (link_id, event, from_state, to_state, actor, at, recorded_at)"
        " VALUES (:link, 'cancel', 'invited', 'cancelled', 'seller', :at, :at)")
    try:
        with engine.connect() as first, engine.connect() as second:
            first.begin()
            first.execute(insert, {"link": links[0], "at": T0})
            with second.begin():
                second.execute(insert, {"link": links[1], "at": T0})
            read_first = events(uow, after=seen)
            assert [e["link_id"] for e in read_first] == [links[1]]
            first.commit()
            read_next = events(uow, after=read_first[-1]["id"])
            assert [e["link_id"] for e in read_next] == [links[0]]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_follower_prints_new_events_stops_on_sigterm_and_its_successor_resumes(
        database_url, make_shop, make_account, uow):
    make_shop("Acme")
    make_account("alice")
    link = new_link(uow(), "Acme", "alice", T0)
    follower = shoplink.start(database_url, "--json", "events", "--follow", "--consumer", "app",
                              "--poll", "0.1")
    output = shoplink.Lines(follower.stdout)
    assert [json.loads(line)["id"] for line in output.take(3)] == [1, 2, 3]
    accept_link(uow(), link["id"], "alice", T0)
    assert json.loads(output.take(1)[0])["type"] == "link.linked"
    assert shoplink.stop(follower) == 0

    with uow() as work:
        apply_due(work.session, T0 + 2 * DAY)
        work.commit()
    resumed = shoplink.run(database_url, "--json", "events", "--consumer", "app")
    assert resumed.returncode == 0, resumed.stderr
    assert [json.loads(line)["type"] for line in resumed.stdout.splitlines()] == [
        "link.unlinkable"]
