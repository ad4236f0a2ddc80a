"""The machine definition alone, on in-memory links: states, events, what each allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shoplink.workflows import machine
from shoplink.workflows.errors import Refused, Violation
from shoplink.workflows.models import Account, Link

T = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

ALLOWED = {
    "searched": {"verify", "cancel"},
    "verified": {"invite", "cancel"},
    "invited": {"accept", "decline", "cancel", "expire"},
    "linked": {"unlock"},
    "unlinkable": {"unlink"},
    "rejected": set(),
    "declined": set(),
    "cancelled": set(),
    "expired": set(),
    "unlinked": set(),
}
EVENTS = {"verify", "invite", "accept", "decline", "cancel", "expire", "unlock", "unlink"}


def fresh(state: str = "searched") -> Link:
    link = Link(id=7, created_at=T)
    machine.start(link, actor="seller", now=T)
    link.state = state
    return link


def test_the_machine_has_every_state_of_the_spec_and_its_final_ones():
    assert set(machine.STATES) == set(ALLOWED)
    assert set(machine.FINAL_STATES) == {"rejected", "declined", "cancelled", "expired",
                                         "unlinked"}


@pytest.mark.parametrize("state", sorted(ALLOWED))
def test_each_state_allows_exactly_the_events_of_the_spec(state):
    assert set(machine.allowed_events(state)) == ALLOWED[state]


def test_the_timers_are_read_from_the_machine():
    found = {(t.event, t.source, t.target, t.deadline, t.ends_link) for t in machine.timers()}
    assert found == {
        ("expire", "invited", "expired", "expires_at", True),
        ("unlock", "linked", "unlinkable", "unlockable_at", False),
    }


def test_starting_a_link_records_that_the_seller_searched_it():
    link = fresh()
    assert link.state == "searched"
    [row] = link.history
    assert (row.event, row.from_state, row.to_state, row.actor, row.at) == (
        "search", None, "searched", "seller", T)


# Events a state does not take, refused with the reason a person looks for first.
REASONS = {("expired", "accept"): "invitation_expired", ("expired", "decline"):
           "invitation_expired", ("linked", "unlink"): "unlink_too_early"}


@pytest.mark.parametrize("state", sorted(ALLOWED))
def test_an_event_the_state_does_not_allow_is_refused_and_changes_nothing(state):
    for event in sorted(EVENTS - ALLOWED[state]):
        link = fresh(state)
        with pytest.raises(Refused) as caught:
            machine.fire(link, event, actor="seller", now=T)
        reason = REASONS.get((state, event), "invalid_transition")
        assert caught.value.code == reason
        if reason == "invalid_transition":
            assert f"cannot {event} link 7: it is {state}" in caught.value.message
        assert link.state == state
        assert len(link.history) == 1


def test_a_failed_verification_rejects_and_records_every_failed_rule():
    link = fresh()
    failed = [Violation("shop_in_probation", "a"), Violation("account_ineligible", "b")]
    later = T + timedelta(minutes=5)
    machine.fire(link, "verify", actor="seller", now=later, violations=failed)
    assert link.state == "rejected"
    assert link.ended_at == later
    row = link.history[-1]
    assert (row.event, row.from_state, row.to_state, row.at, row.recorded_at) == (
        "verify", "searched", "rejected", later, later)
    assert row.details == {"rules": [{"code": "shop_in_probation", "message": "a"},
                                     {"code": "account_ineligible", "message": "b"}]}


def test_a_guarded_event_with_failed_rules_is_refused_with_them_and_writes_nothing():
    link = fresh("verified")
    failed = [Violation("marketing_account_limit", "full")]
    with pytest.raises(Refused) as caught:
        machine.fire(link, "invite", actor="seller", now=T, violations=failed)
    assert caught.value.violations == failed
    assert link.state == "verified"
    assert link.invited_at is None
    assert len(link.history) == 1


def test_the_whole_happy_path_sets_every_timestamp():
    link = fresh()
    machine.fire(link, "verify", actor="seller", now=T)
    machine.fire(link, "invite", actor="seller", now=T, ttl=timedelta(hours=3))
    assert (link.invited_at, link.expires_at) == (T, T + timedelta(hours=3))
    machine.fire(link, "accept", actor="account:alice", now=T + timedelta(hours=1))
    assert link.linked_at == T + timedelta(hours=1)
    assert link.unlockable_at == T + timedelta(hours=25)
    deadline = link.unlockable_at
    machine.fire(link, "unlock", actor="system", now=deadline + timedelta(hours=2), at=deadline)
    machine.fire(link, "unlink", actor="seller", now=deadline + timedelta(hours=2))
    assert link.state == "unlinked"
    assert link.ended_at == deadline + timedelta(hours=2)
    rows = [(e.event, e.from_state, e.to_state, e.actor) for e in link.history]
    assert rows == [
        ("search", None, "searched", "seller"),
        ("verify", "searched", "verified", "seller"),
        ("invite", "verified", "invited", "seller"),
        ("accept", "invited", "linked", "account:alice"),
        ("unlock", "linked", "unlinkable", "system"),
        ("unlink", "unlinkable", "unlinked", "seller"),
    ]
    unlock = link.history[4]
    assert (unlock.at, unlock.recorded_at) == (deadline, deadline + timedelta(hours=2))


def test_the_invitation_lasts_48_hours_unless_told_otherwise():
    link = fresh("verified")
    machine.fire(link, "invite", actor="seller", now=T)
    assert link.expires_at == T + timedelta(hours=48)


@pytest.mark.parametrize("event, state", [("decline", "declined"), ("cancel", "cancelled"),
                                          ("expire", "expired")])
def test_an_invitation_that_ends_without_a_link_is_final_and_stamped(event, state):
    link = fresh("invited")
    machine.fire(link, event, actor="system", now=T)
    assert link.state == state
    assert link.ended_at == T
    assert machine.allowed_events(link.state) == ()


def test_the_state_groups_are_the_machines_states():
    from shoplink.workflows.machine import (
        FINAL_STATES,
        HOLDING_STATES,
        OPEN_STATES,
        SLOT_STATES,
        STATES,
    )

    assert set(OPEN_STATES) | set(FINAL_STATES) == set(STATES)
    assert OPEN_STATES == ("searched", "verified", "invited", "linked", "unlinkable")
    assert SLOT_STATES == ("invited", "linked", "unlinkable")
    assert set(HOLDING_STATES) < set(SLOT_STATES) < set(OPEN_STATES)


def test_the_machine_refuses_an_answer_from_another_account_before_its_state():
    for state in ("invited", "expired", "cancelled"):
        link = fresh(state)
        link.account = Account(username="alice")
        with pytest.raises(Refused) as caught:
            machine.fire(link, "accept", actor="account:bob", now=T, answering="bob")
        assert caught.value.code == "not_invitee"
        assert link.state == state


def test_a_kept_machine_moves_each_link_from_that_links_own_state():
    """Machines are reused across links: each event starts from the link it is sent for,
    whatever the machine's previous link was, and leaves the other links alone."""
    first, second = fresh("invited"), fresh("verified")
    first.account = second.account = Account(username="alice")
    machine.fire(first, "accept", actor="account:alice", now=T, answering="alice")
    machine.fire(second, "invite", actor="seller", now=T + timedelta(hours=1))
    machine.fire(second, "accept", actor="account:alice", now=T + timedelta(hours=2),
                 answering="alice")
    assert (first.state, first.linked_at) == ("linked", T)
    assert (second.state, second.linked_at) == ("linked", T + timedelta(hours=2))
    assert [e.event for e in first.history] == ["search", "accept"]
    assert [e.event for e in second.history] == ["search", "invite", "accept"]


def test_after_a_refusal_and_a_final_state_the_next_link_still_moves():
    """Neither a refusal nor a link that ended leaves a machine that moves the next one
    wrongly."""
    ended = fresh("invited")
    machine.fire(ended, "decline", actor="system", now=T)
    refused = fresh("invited")
    refused.account = Account(username="alice")
    with pytest.raises(Refused):
        machine.fire(refused, "accept", actor="account:bob", now=T, answering="bob")
    rejected = fresh()
    machine.fire(rejected, "verify", actor="seller", now=T,
                 violations=[Violation("shop_full", "the shop has 4 marketing accounts")])
    link = fresh()
    machine.fire(link, "verify", actor="seller", now=T)
    machine.fire(link, "invite", actor="seller", now=T)
    assert (ended.state, refused.state, rejected.state, link.state) == (
        "declined", "invited", "rejected", "invited")


def test_a_machine_whose_link_ended_moves_the_next_link_without_being_built_again(
        monkeypatch):
    """Every rejected link ends its machine's run; building one costs ten times more than
    restarting it, so the same machine, restarted, moves the next link."""
    monkeypatch.setattr(machine, "_idle", [])
    for state, event, violations in (("searched", "verify", [Violation("shop_full", "full")]),
                                     ("invited", "decline", []),
                                     ("verified", "cancel", [])):
        ended = fresh(state)
        ended.account = Account(username="alice")
        machine.fire(ended, event, actor="seller", now=T, violations=violations)
        assert ended.state in machine.FINAL_STATES
        [kept] = machine._idle
        link = fresh()
        link.account = Account(username="alice")
        machine.fire(link, "verify", actor="seller", now=T)
        machine.fire(link, "invite", actor="seller", now=T + timedelta(minutes=1))
        machine.fire(link, "accept", actor="account:alice", now=T + timedelta(minutes=2),
                     answering="alice")
        assert machine._idle == [kept]
        assert (link.state, link.linked_at) == ("linked", T + timedelta(minutes=2))
        assert [e.event for e in link.history] == ["search", "verify", "invite", "accept"]


def test_machines_moving_links_on_many_threads_at_once_never_mix_them():
    from concurrent.futures import ThreadPoolExecutor

    def walk(number: int) -> tuple[str, datetime | None, list[str]]:
        link = fresh("verified")
        link.account = Account(username=f"user{number}")
        at = T + timedelta(seconds=number)
        machine.fire(link, "cancel" if number % 5 == 0 else "invite", actor="seller", now=at)
        if link.state == "invited":
            machine.fire(link, "accept", actor=f"account:user{number}", now=at,
                         answering=f"user{number}")
        return link.state, link.linked_at, [e.event for e in link.history]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(walk, range(400)))
    for number, (state, linked_at, events) in enumerate(results):
        if number % 5 == 0:
            assert (state, linked_at, events) == ("cancelled", None, ["search", "cancel"])
        else:
            assert (state, linked_at) == ("linked", T + timedelta(seconds=number))
            assert events == ["search", "invite", "accept"]
