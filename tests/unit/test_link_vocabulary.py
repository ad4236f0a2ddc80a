"""The vocabulary reads and sweeps use without python-statemachine is the machine's own:
the machine stays the single source of truth (SPEC section 2)."""

from __future__ import annotations

from shoplink.workflows import machine, vocabulary


def test_the_vocabularys_states_and_groups_are_the_machines():
    for group in ("STATES", "FINAL_STATES", "OPEN_STATES", "HOLDING_STATES", "SLOT_STATES"):
        assert getattr(vocabulary, group) == getattr(machine, group), group


def test_the_vocabularys_timers_are_the_machines_timer_transitions():
    assert vocabulary.TIMERS == tuple(machine.timers())
    assert {t.event for t in vocabulary.TIMERS} == set(vocabulary.TIMER_DEADLINES)


def test_entering_a_final_state_ends_the_link_and_an_open_one_does_not():
    for state in machine.STATES:
        written = vocabulary.entered(state, "T")
        assert written["state"] == state
        assert ("ended_at" in written) == (state in machine.FINAL_STATES)
