"""Webhook deliveries against a real receiver: signed, retried on schedule, never doubled."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook

from shoplink.jobs.deliveries import Deliverer, send_now
from shoplink.workflows.errors import Refused
from shoplink.workflows.links import new_link
from shoplink.workflows.models import WebhookAttempt, WebhookDelivery
from shoplink.workflows.outbox import read_events
from shoplink.workflows.webhook_queue import SCHEDULE, fan_out, retry_delay
from shoplink.workflows.webhooks import (
    add_endpoint,
    enable_endpoint,
    list_endpoints,
    queue_ping,
    retry_delivery,
    show_delivery,
)
from tests.webhook_receiver import Receiver


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def deliverers(engine):
    made: list[Deliverer] = []

    def build(**options) -> Deliverer:
        made.append(Deliverer(engine, **{"timeout": 2.0, "rand": lambda: 0.0, **options}))
        return made[-1]

    yield build
    for deliverer in made:
        deliverer.close()


def invite(make_shop, make_account, uow, now, name="alice"):
    """A shop and an account of their own, linked: three events, the last invitation.sent."""
    make_account(name, now=now)
    make_shop(f"Shop of {name}", now=now)
    return new_link(uow(), f"Shop of {name}", name, now)


def deliveries(uow):
    with uow() as work:
        table = WebhookDelivery.__table__
        return work.session.execute(sa.select(table).order_by(table.c.id)).all()


def test_an_invitation_reaches_the_receiver_signed_with_the_events_fields(
        make_shop, make_account, uow, deliverers):
    now = datetime.now(UTC)
    with Receiver() as receiver:
        endpoint = add_endpoint(uow(), receiver.url, [], now)
        make_shop("Acme", now=now)
        make_account("alice", now=now)
        new_link(uow(), "Acme", "alice", now)
        counts = deliverers().drain()

        assert counts["delivered"] == 3
        events = read_events(uow(), 0, 100)
        bodies = [Webhook(endpoint["secret"]).verify(r.body, r.headers)
                  for r in receiver.requests]
        assert sorted((b["type"], b["data"]["id"]) for b in bodies) == sorted(
            (e["type"], e["id"]) for e in events)
        invitation = next(b for b in bodies if b["type"] == "invitation.sent")
        assert invitation["data"] == next(e for e in events if e["type"] == "invitation.sent")
        assert sorted(receiver.ids()) == sorted(f"evt_{e['id']}" for e in events)
        with pytest.raises(Exception, match="signature"):
            Webhook("whsec_" + "A" * 32).verify(receiver.requests[0].body,
                                                receiver.requests[0].headers)
    shown = show_delivery(uow(), deliveries(uow)[0].id)
    assert (shown["status"], shown["attempts"], shown["last_status"]) == ("delivered", 1, 200)
    assert shown["attempts_made"][0]["response"] == "ok"


def test_an_endpoint_gets_only_the_types_it_asked_for_and_only_events_after_it_was_added(
        make_shop, make_account, uow, deliverers):
    now = datetime.now(UTC)
    make_shop("Acme", now=now)
    make_account("early", now=now)
    new_link(uow(), "Acme", "early", now)
    with Receiver() as receiver:
        add_endpoint(uow(), receiver.url, ["invitation.sent"], now)
        make_account("alice", now=now)
        link = new_link(uow(), "Acme", "alice", now)
        deliverers().drain()
        types = [json.loads(r.body)["type"] for r in receiver.requests]
        assert types == ["invitation.sent"]
        assert json.loads(receiver.requests[0].body)["data"]["link_id"] == link["id"]


def test_a_500_is_retried_5_seconds_later_not_sooner_and_then_delivered(
        make_shop, make_account, uow, deliverers):
    clock = Clock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    with Receiver(script=[500]) as receiver:
        add_endpoint(uow(), receiver.url, ["invitation.sent"], clock.now)
        invite(make_shop, make_account, uow, clock.now)
        deliverer = deliverers(clock=clock)
        deliverer.drain()
        first = deliveries(uow)[0]
        assert (first.status, first.attempts, first.last_status) == ("pending", 1, 500)
        failed_at = clock.now

        clock.now = failed_at + SCHEDULE[1] - timedelta(seconds=1)
        deliverer.drain()
        assert len(receiver.requests) == 1
        clock.now = failed_at + SCHEDULE[1]
        deliverer.drain()
        assert len(receiver.requests) == 2
        assert len(set(receiver.ids())) == 1  # the same webhook-id both times
    again = deliveries(uow)[0]
    assert (again.status, again.attempts, again.last_status) == ("delivered", 2, 200)


def test_the_schedule_runs_out_after_8_attempts_then_failed_then_retried_by_hand(
        make_shop, make_account, uow, deliverers):
    clock = Clock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    with Receiver(default=503) as receiver:
        add_endpoint(uow(), receiver.url, ["invitation.sent"], clock.now)
        invite(make_shop, make_account, uow, clock.now)
        deliverer = deliverers(clock=clock)
        deliverer.drain()
        for attempt, wait in enumerate(SCHEDULE[1:], start=2):
            last = clock.now
            clock.now = last + wait - timedelta(seconds=1)
            deliverer.drain()
            assert len(receiver.requests) == attempt - 1, f"attempt {attempt} came early"
            clock.now = last + wait
            deliverer.drain()
            assert len(receiver.requests) == attempt
        gave_up = deliveries(uow)[0]
        assert (gave_up.status, gave_up.attempts, gave_up.last_status) == ("failed", 8, 503)
        clock.now += timedelta(days=2)
        deliverer.drain()
        assert len(receiver.requests) == 8

        receiver.default = 200
        retry_delivery(uow(), gave_up.id, clock.now)
        deliverer.drain()
    assert deliveries(uow)[0].status == "delivered"
    assert sum(SCHEDULE, timedelta()) >= timedelta(hours=24)


def test_jitter_only_ever_stretches_a_wait_by_up_to_a_tenth():
    assert retry_delay(1, 0.0) == timedelta(seconds=5)
    assert timedelta(minutes=5) < retry_delay(2, 0.999) < timedelta(minutes=5.5)
    assert retry_delay(8, 0.5) is None


def test_a_receiver_that_hangs_times_out_without_holding_up_another_endpoint(
        make_shop, make_account, uow, deliverers):
    now = datetime.now(UTC)
    with Receiver(hang=5) as slow, Receiver() as fast:
        add_endpoint(uow(), slow.url, ["invitation.sent"], now)
        add_endpoint(uow(), fast.url, [], now)
        for name in ("alice", "bob"):
            invite(make_shop, make_account, uow, now, name)
        deliverer = deliverers(timeout=1.0, concurrency=4, per_endpoint=2)
        started = time.monotonic()
        deliverer.pump()
        while len(fast.requests) < 6:
            assert time.monotonic() - started < 0.9, "the fast endpoint waited for the slow one"
            time.sleep(0.01)
        deliverer.wait_idle()
        assert time.monotonic() - started < 2.5
    slow_ones = [d for d in deliveries(uow) if d.endpoint_id == 1]
    assert {d.last_error for d in slow_ones if d.attempts} == {"timed out after 1s"}
    assert all(d.status == "pending" for d in slow_ones)
    assert {d.status for d in deliveries(uow) if d.endpoint_id == 2} == {"delivered"}


def test_410_gone_disables_the_endpoint_and_nothing_more_is_sent(
        make_shop, make_account, uow, deliverers):
    now = datetime.now(UTC)
    with Receiver(default=410) as receiver:
        add_endpoint(uow(), receiver.url, ["invitation.sent"], now)
        invite(make_shop, make_account, uow, now)
        deliverer = deliverers()
        deliverer.drain()
        invite(make_shop, make_account, uow, now, "bob")
        deliverer.drain()
        assert len(receiver.requests) == 1
    [endpoint] = list_endpoints(uow())
    assert endpoint["enabled"] is False and "410" in endpoint["disabled_reason"]
    gone = deliveries(uow)[0]
    assert (gone.status, gone.last_status) == ("failed", 410)
    with pytest.raises(Refused, match="disabled"):
        retry_delivery(uow(), gone.id, now)


def test_a_refused_connection_is_an_attempt_with_its_error_and_a_retry(
        make_shop, make_account, uow, deliverers):
    now = datetime.now(UTC)
    with Receiver() as receiver:
        url = receiver.url  # the port is free again once the receiver has gone
    add_endpoint(uow(), url, ["invitation.sent"], now)
    invite(make_shop, make_account, uow, now)
    deliverers().drain()
    [delivery] = deliveries(uow)
    assert delivery.status == "pending" and delivery.last_status is None
    assert delivery.last_error.startswith("cannot connect")
    assert delivery.next_attempt_at >= now + SCHEDULE[1]


def test_only_the_first_kibibyte_of_an_answer_is_kept(make_shop, make_account, uow, deliverers):
    now = datetime.now(UTC)
    with Receiver(answer=b"x" * 5000) as receiver:
        add_endpoint(uow(), receiver.url, ["invitation.sent"], now)
        invite(make_shop, make_account, uow, now)
        deliverers().drain()
    with uow() as work:
        [attempt] = work.session.execute(sa.select(WebhookAttempt.__table__)).all()
    assert attempt.response == "x" * 1024 and attempt.latency_ms > 0


def test_racing_fan_outs_make_each_delivery_exactly_once(make_shop, make_account, uow):
    now = datetime.now(UTC)
    add_endpoint(uow(), "http://127.0.0.1:9/a", [], now)
    add_endpoint(uow(), "http://127.0.0.1:9/b", [], now)
    for n in range(20):
        invite(make_shop, make_account, uow, now, f"user{n}")
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def race() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                with uow() as work:
                    fan_out(work.session, now, page=7)
                    work.commit()
        except BaseException as failure:  # noqa: BLE001 - reported below
            failures.append(failure)

    threads = [threading.Thread(target=race) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    more = True
    while more:  # PostgreSQL: racers skip a locked endpoint; the holder would go on
        with uow() as work:
            _, more = fan_out(work.session, now, page=7)
            work.commit()
    made = [(d.endpoint_id, d.event_id) for d in deliveries(uow)]
    assert len(made) == len(set(made)) == 2 * 60


def test_prune_removes_finished_deliveries_and_keeps_the_events_webhooks_still_need(
        make_shop, make_account, uow, deliverers):
    from shoplink.workflows.retention import prune

    now = datetime.now(UTC)
    with Receiver(script=[200, 500]) as receiver:
        add_endpoint(uow(), receiver.url, ["invitation.sent"], now)
        for name in ("alice", "bob"):  # one at a time: alice's gets the 200, bob's the 500
            invite(make_shop, make_account, uow, now, name)
            deliverers().drain()
    done, waiting = sorted(deliveries(uow), key=lambda d: d.status)
    assert (done.status, waiting.status) == ("delivered", "pending")
    later = now + timedelta(days=2)
    counted = prune(uow, "1d", later, dry_run=True)["removed"]
    assert (counted["webhook deliveries"], counted["webhook attempts"]) == (1, 1)
    assert len(deliveries(uow)) == 2

    removed = prune(uow, "1d", later)["removed"]
    assert (removed["webhook deliveries"], removed["webhook attempts"]) == (1, 1)
    assert [d.id for d in deliveries(uow)] == [waiting.id]
    kept = {e["id"] for e in read_events(uow(), 0, 100)}
    assert min(kept) == waiting.event_id  # the pending delivery's event and all after it
    assert done.event_id not in kept


def test_a_shop_rename_is_delivered_too(make_shop, uow, deliverers):
    from shoplink.workflows.shops import update_shop

    now = datetime.now(UTC)
    make_shop("Acme", now=now)
    with Receiver() as receiver:
        add_endpoint(uow(), receiver.url, ["shop.renamed"], now)
        update_shop(uow(), "Acme", now, name="Acme Two")
        deliverers().drain()
        [request] = receiver.requests
    body = json.loads(request.body)
    assert body["type"] == "shop.renamed" and body["data"]["details"]


def test_a_ping_another_process_is_already_sending_is_awaited_not_sent_twice(
        engine, uow, deliverers):
    now = datetime.now(UTC)
    with Receiver(hang=1) as receiver:
        add_endpoint(uow(), receiver.url, [], now)
        ping = queue_ping(uow(), 1, now)
        daemon = deliverers(only={ping})
        assert daemon.pump() == 1  # leased and committed: the request is on its way
        started = time.monotonic()
        send_now(engine, ping, timeout=2.0)
        assert 0.5 < time.monotonic() - started < 3
        shown = show_delivery(uow(), ping)
        assert (shown["status"], shown["attempts"]) == ("delivered", 1)
        assert len(receiver.requests) == 1


def test_an_endpoint_enabled_again_gets_new_events_and_its_pending_deliveries_not_the_missed(
        make_shop, make_account, uow, deliverers, engine):
    clock = Clock(datetime.now(UTC))  # near real time: the receiver checks the signature's
    with Receiver(script=[500, 410]) as receiver:
        secret = add_endpoint(uow(), receiver.url, ["invitation.sent"], clock.now)["secret"]
        deliverer = deliverers(clock=clock)
        invite(make_shop, make_account, uow, clock.now, "alice")
        deliverer.drain()  # 500: retried in 5 s
        invite(make_shop, make_account, uow, clock.now, "bob")
        deliverer.drain()  # 410 Gone: failed, and the endpoint is disabled
        invite(make_shop, make_account, uow, clock.now, "carol")  # while it is disabled
        clock.now += timedelta(minutes=1)
        deliverer.drain()
        assert len(receiver.requests) == 2
        alice, bob = (d.event_id for d in deliveries(uow))

        enabled = enable_endpoint(uow(), 1)
        assert (enabled["enabled"], enabled["changed"]) == (True, True)
        assert "410 Gone" in enabled["disabled_reason_before"]
        assert (enabled["pending_deliveries"], enabled["failed_deliveries"]) == (1, 1)
        assert "secret" not in enabled
        invite(make_shop, make_account, uow, clock.now, "dave")
        deliverer.drain()
        dave = max(e["id"] for e in read_events(uow(), 0, 100))
        # alice's pending retry goes out, and dave's new event; carol's never reached it
        assert receiver.ids() == {f"evt_{alice}": 2, f"evt_{bob}": 1, f"evt_{dave}": 1}
        assert Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
        assert [d.status for d in deliveries(uow)] == ["delivered", "failed", "delivered"]

        retry_delivery(uow(), deliveries(uow)[1].id, clock.now)  # bob's, by hand only
        deliverer.drain()
        assert receiver.ids()[f"evt_{bob}"] == 2
    [endpoint] = list_endpoints(uow())
    assert endpoint["enabled"] is True and endpoint["disabled_reason"] is None
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT disabled_at FROM webhook_endpoints")).scalar() \
            is None
    again = enable_endpoint(uow(), 1)
    assert (again["changed"], again["disabled_reason_before"]) == (False, None)
