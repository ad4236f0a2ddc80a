"""`prune`: outbox events every reader has passed and idempotency records, older than a
cutoff, in batches; never history, links or the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shoplink.workflows import retention
from shoplink.workflows.audit import list_entries
from shoplink.workflows.errors import BadInput
from shoplink.workflows.models import (
    AuditEntry,
    IdempotencyRecord,
    Link,
    LinkEvent,
    OutboxEvent,
)
from shoplink.workflows.outbox import last_event_id, read_events, save_position
from shoplink.workflows.retention import prune
from tests.conftest import T0
from tests.integration.flows import DAY, SECOND, linked


def count(uow, model) -> int:
    with uow() as work:
        return work.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def remember(uow, key: str, at) -> None:
    with uow() as work:
        work.session.add(IdempotencyRecord(key=key, principal="shop:1", method="POST",
                                           path="/v1/shops/1/links", status=201, body={},
                                           created_at=at))
        work.commit()


@pytest.fixture
def week_of_events(make_shop, make_account, uow):
    """Five events on day 0 (a link and its upgrade), six on day 7 (the first unlocked too)."""
    make_shop("Acme")
    make_account("ava")
    make_account("ben")
    linked(uow, "Acme", "ava", T0)
    linked(uow, "Acme", "ben", T0 + 7 * DAY)
    return uow


def test_events_every_consumer_has_passed_and_older_than_the_cutoff_go(week_of_events):
    uow = week_of_events
    save_position(uow(), "app", last_event_id(uow()), T0)
    save_position(uow(), "seller-center", 3, T0)
    result = prune(uow, "1d", T0 + 8 * DAY)
    assert result == {"older_than": "2026-03-09T12:00:00Z", "dry_run": False,
                      "removed": {"webhook attempts": 0, "webhook deliveries": 0,
                                  "outbox events": 3, "idempotency records": 0}}
    assert [e["id"] for e in read_events(uow(), 0, 100)][0] == 4


def test_the_cutoff_is_exclusive_to_the_second(week_of_events):
    uow = week_of_events
    save_position(uow(), "app", last_event_id(uow()), T0)
    assert prune(uow, "7d", T0 + 7 * DAY)["removed"]["outbox events"] == 0
    assert prune(uow, "7d", T0 + 7 * DAY + SECOND)["removed"]["outbox events"] == 5


def test_with_no_reader_registered_no_event_is_removed(week_of_events):
    uow = week_of_events
    assert prune(uow, "1d", T0 + 30 * DAY)["removed"]["outbox events"] == 0
    assert count(uow, OutboxEvent) == 11


def test_a_plugged_in_reader_holds_events_back(week_of_events, monkeypatch):
    uow = week_of_events
    save_position(uow(), "app", last_event_id(uow()), T0)
    monkeypatch.setattr(retention, "OUTBOX_READERS",
                        [*retention.OUTBOX_READERS, lambda session: 2])
    assert prune(uow, "1d", T0 + 30 * DAY)["removed"]["outbox events"] == 2


def test_history_links_and_the_audit_log_are_never_pruned(week_of_events):
    uow = week_of_events
    save_position(uow(), "app", last_event_id(uow()), T0)
    before = (count(uow, LinkEvent), count(uow, Link), count(uow, AuditEntry))
    assert prune(uow, "1m", T0 + 365 * DAY)["removed"]["outbox events"] == 11
    assert (count(uow, LinkEvent), count(uow, Link), count(uow, AuditEntry)) == before
    assert len(list_entries(uow())) == 2  # the two Business upgrades


def test_idempotency_records_older_than_the_cutoff_go(uow):
    for hours in (0, 1, 2, 3):
        remember(uow, f"key-{hours}", T0 + timedelta(hours=hours))
    assert prune(uow, "12h", T0 + timedelta(hours=14))["removed"]["idempotency records"] == 2
    assert count(uow, IdempotencyRecord) == 2


def test_a_dry_run_counts_and_removes_nothing(week_of_events):
    uow = week_of_events
    save_position(uow(), "app", last_event_id(uow()), T0)
    remember(uow, "key", T0)
    result = prune(uow, "1d", T0 + 30 * DAY, dry_run=True)
    assert (result["dry_run"], result["removed"]) == (
        True, {"webhook attempts": 0, "webhook deliveries": 0, "outbox events": 11,
               "idempotency records": 1})
    assert (count(uow, OutboxEvent), count(uow, IdempotencyRecord)) == (11, 1)


def test_a_large_prune_goes_in_batches_each_in_its_own_transaction(week_of_events):
    uow = week_of_events
    save_position(uow(), "app", last_event_id(uow()), T0)
    transactions = []

    def counted():
        transactions.append(1)
        return uow()

    assert prune(counted, "1d", T0 + 30 * DAY, batch=3)["removed"]["outbox events"] == 11
    # webhook attempts and deliveries: none; outbox: 3 + 3 + 3 + 2; idempotency records: none
    assert len(transactions) == 1 + 1 + 4 + 1


@pytest.mark.parametrize("older_than", ["", "0d", "30", "1w", "-1d", "3651d", "1.5h"])
def test_a_bad_duration_is_bad_input_and_removes_nothing(week_of_events, older_than):
    uow = week_of_events
    save_position(uow(), "app", last_event_id(uow()), T0)
    with pytest.raises(BadInput, match="--older-than"):
        prune(uow, older_than, T0 + 30 * DAY)
    assert count(uow, OutboxEvent) == 11
