"""Every path of the link state machine through the service layer, with its history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shoplink.workflows.links import (
    accept_link,
    cancel_link,
    decline_link,
    invite_link,
    new_link,
    show_link,
    unlink_link,
)
from shoplink.workflows.models import LinkEvent
from tests.conftest import T0
from tests.integration.flows import DAY, codes, raw_link, refused

LATER = T0 + DAY


@pytest.fixture
def world(make_shop, make_account):
    make_shop("Acme")
    make_account("alice")
    make_account("bob")


def rows(link):
    return [(e["event"], e["from_state"], e["to_state"], e["actor"]) for e in link["history"]]


def test_a_link_goes_from_search_to_unlinked_and_each_step_is_recorded(world, uow):
    link = new_link(uow(), "Acme", "alice", T0, invite=False)
    assert link["state"] == "verified"
    link = invite_link(uow(), link["id"], T0)
    assert link["state"] == "invited"
    link = accept_link(uow(), link["id"], "@alice", T0)
    link = unlink_link(uow(), link["id"], LATER + DAY)
    assert link["state"] == "unlinked"
    assert rows(link) == [
        ("search", None, "searched", "seller"),
        ("verify", "searched", "verified", "seller"),
        ("invite", "verified", "invited", "seller"),
        ("accept", "invited", "linked", "account:alice"),
        ("unlock", "linked", "unlinkable", "system"),
        ("unlink", "unlinkable", "unlinked", "seller"),
    ]
    assert link["ended_at"] == "2026-03-04T12:00:00Z"


def test_each_history_row_says_when_it_took_effect_and_when_it_was_recorded(world, uow):
    link = new_link(uow(), "Acme", "alice", T0)
    accepted = accept_link(uow(), link["id"], "alice", T0 + DAY / 2)
    shown = show_link(uow(), link["id"], T0 + 3 * DAY)
    history = shown["history"]
    assert history[:4] == accepted["history"]
    assert [(e["at"], e["recorded_at"]) for e in history] == [
        ("2026-03-02T12:00:00Z", "2026-03-02T12:00:00Z"),
        ("2026-03-02T12:00:00Z", "2026-03-02T12:00:00Z"),
        ("2026-03-02T12:00:00Z", "2026-03-02T12:00:00Z"),
        ("2026-03-03T00:00:00Z", "2026-03-03T00:00:00Z"),
        ("2026-03-04T00:00:00Z", "2026-03-05T12:00:00Z"),  # the timer: at = its deadline
    ]
    assert (shown["linked_at"], shown["unlockable_at"]) == (
        "2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z")


@pytest.mark.parametrize("answer, state, actor", [
    (lambda uow, key: decline_link(uow(), key, "alice", T0), "declined", "account:alice"),
    (lambda uow, key: cancel_link(uow(), key, T0), "cancelled", "seller"),
])
def test_an_invitation_can_be_declined_by_its_account_or_cancelled_by_the_seller(
        world, uow, answer, state, actor):
    link = new_link(uow(), "Acme", "alice", T0)
    ended = answer(uow, link["id"])
    assert ended["state"] == state
    assert ended["ended_at"] == "2026-03-02T12:00:00Z"
    assert rows(ended)[-1] == (rows(ended)[-1][0], "invited", state, actor)


@pytest.mark.parametrize("invite", [False, True])
def test_the_seller_can_cancel_before_the_invitation_is_answered(world, uow, invite):
    link = new_link(uow(), "Acme", "alice", T0, invite=invite)
    assert cancel_link(uow(), link["id"], T0)["state"] == "cancelled"


def test_a_rejected_link_is_stored_with_the_failed_rules_in_its_history(world, uow,
                                                                         make_account):
    make_account("carol", status="banned")
    error = refused(lambda: new_link(uow(), "Acme", "carol", T0))
    assert codes(error) == ["account_ineligible"]
    assert error.link["state"] == "rejected"
    shown = show_link(uow(), error.link["id"], T0)
    assert shown["state"] == "rejected"
    assert shown["ended_at"] == "2026-03-02T12:00:00Z"
    verify = shown["history"][-1]
    assert (verify["event"], verify["from_state"], verify["to_state"]) == (
        "verify", "searched", "rejected")
    assert verify["details"] == {"rules": [{"code": "account_ineligible",
                                            "message": "@carol is banned"}]}


INVALID = [
    ("verified", "accept", lambda uow, key: accept_link(uow(), key, "alice", T0)),
    ("verified", "unlink", lambda uow, key: unlink_link(uow(), key, T0)),
    ("invited", "invite", lambda uow, key: invite_link(uow(), key, T0)),
    ("invited", "unlink", lambda uow, key: unlink_link(uow(), key, T0)),
    ("linked", "accept", lambda uow, key: accept_link(uow(), key, "alice", T0)),
    ("linked", "decline", lambda uow, key: decline_link(uow(), key, "alice", T0)),
    ("linked", "cancel", lambda uow, key: cancel_link(uow(), key, T0)),
    ("declined", "accept", lambda uow, key: accept_link(uow(), key, "alice", T0)),
    ("declined", "cancel", lambda uow, key: cancel_link(uow(), key, T0)),
    ("rejected", "invite", lambda uow, key: invite_link(uow(), key, T0)),
    ("unlinked", "unlink", lambda uow, key: unlink_link(uow(), key, LATER + DAY)),
]


def _reach(uow, make_account, state):
    if state == "rejected":
        make_account("dan", status="banned")
        return refused(lambda: new_link(uow(), "Acme", "dan", T0)).link["id"]
    key = new_link(uow(), "Acme", "alice", T0, invite=state != "verified")["id"]
    if state == "declined":
        decline_link(uow(), key, "alice", T0)
    if state in ("linked", "unlinked"):
        accept_link(uow(), key, "alice", T0)
    if state == "unlinked":
        unlink_link(uow(), key, LATER)
    return key


@pytest.mark.parametrize("state, event, call", INVALID, ids=[f"{s}-{e}" for s, e, _ in INVALID])
def test_an_event_the_state_does_not_allow_is_refused_and_writes_nothing(
        world, uow, make_account, state, event, call):
    key = _reach(uow, make_account, state)
    before = raw_link(uow, key)
    error = refused(lambda: call(uow, key))
    assert codes(error) == ["invalid_transition"]
    assert error.message == f"cannot {event} link {key}: it is {state}"
    assert raw_link(uow, key) == before


@pytest.mark.parametrize("statement", [
    sa.update(LinkEvent).values(actor="someone else"),
    sa.delete(LinkEvent),
], ids=["update", "delete"])
def test_the_database_refuses_to_change_or_delete_history(world, uow, statement):
    new_link(uow(), "Acme", "alice", T0)
    with uow() as work, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        work.session.execute(statement)
    with uow() as work:
        actors = work.session.execute(sa.select(LinkEvent.actor)).scalars().all()
    assert actors == ["seller", "seller", "seller"]
