"""The link state machine: the one place that says which event is allowed in which state."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from shoplink.workflows.clock import iso
from shoplink.workflows.errors import Refused, Violation
from shoplink.workflows.limits import DEFAULT_INVITATION_TTL, UNLINK_LOCK
from shoplink.workflows.vocabulary import SYSTEM as SYSTEM
from shoplink.workflows.vocabulary import TIMER_DEADLINES, Timer, entered, recorded

if TYPE_CHECKING:
    from shoplink.workflows.link_rows import Moving
    from shoplink.workflows.models import Link


class Seat:
    """What a machine moves: the link in its seat, there for one event at a time.

    Building a python-statemachine instance (resolving every callback by name) costs more
    than sending it an event, so machines are kept and reused: the link changes, the
    machine stays. The machine reads and writes the state through the seat.
    """

    __slots__ = ("link",)

    def __init__(self, link: Any) -> None:
        self.link = link

    @property
    def state(self) -> Any:
        return self.link.state

    @state.setter
    def state(self, value: str) -> None:
        self.link.state = value


class LinkMachine(StateMachine):
    """One link's life, from the seller's search to its end."""

    searched = State(initial=True)
    verified = State()
    invited = State()
    linked = State()
    unlinkable = State()
    rejected = State(final=True)
    declined = State(final=True)
    cancelled = State(final=True)
    expired = State(final=True)
    unlinked = State(final=True)

    verify = searched.to(verified, cond="rules_hold") | searched.to(rejected, unless="rules_hold")
    invite = verified.to(invited, cond="rules_hold")
    accept = invited.to(linked, validators="answered_by_invitee", cond="rules_hold")
    decline = invited.to(declined, validators="answered_by_invitee")
    cancel = searched.to(cancelled) | verified.to(cancelled) | invited.to(cancelled)
    expire = invited.to(expired)
    unlock = linked.to(unlinkable)
    unlink = unlinkable.to(unlinked)

    model: Seat

    def on_enter_invited(self, at: datetime, ttl: timedelta | None = None) -> None:
        link = self.model.link
        link.invited_at = at
        link.expires_at = at + (DEFAULT_INVITATION_TTL if ttl is None else ttl)

    def on_enter_linked(self, at: datetime) -> None:
        link = self.model.link
        link.linked_at = at
        link.unlockable_at = at + UNLINK_LOCK

    def on_enter_state(self, state: State, at: datetime | None = None) -> None:
        if at is not None:
            for column, value in entered(state.id, at).items():
                if column != "state":  # the machine sets the state itself
                    setattr(self.model.link, column, value)

    def rules_hold(self, violations: list[Violation] | None = None) -> bool:
        return not violations

    def answered_by_invitee(self, answering: str | None = None) -> None:
        """Only the invited account accepts or declines [`not_invitee`]."""
        refuse_other_account(self.model.link, answering)

    def after_transition(self, event_data: Any, source: State, target: State, at: datetime,
                         actor: str, now: datetime,
                         violations: list[Violation] | None = None) -> None:
        """Every transition writes one history row; a rejection lists the failed rules."""
        details: dict[str, Any] | None = None
        if target.id == "rejected":
            details = {"rules": [v.as_dict() for v in violations or []]}
        self.model.link.record(recorded(event_data.event.id, source.id, target.id, actor=actor,
                                   at=at, now=now), details=details)


# The events by which the invited account answers; only it may send them.
ANSWERS = ("accept", "decline")

# The link's vocabulary, read from the machine. Paths that fire no event (reads, sweeps)
# import vocabulary's copies instead, which a test keeps equal to these; nothing else
# restates them.
STATES: tuple[str, ...] = tuple(s.id for s in LinkMachine.states)
FINAL_STATES: tuple[str, ...] = tuple(s.id for s in LinkMachine.states if s.final)
# A link still open: another to the same shop and account is refused (`already_linked`).
OPEN_STATES: tuple[str, ...] = tuple(s.id for s in LinkMachine.states if not s.final)
# The account is the shop's marketing account: its showcase can change, it counts 180 days.
HOLDING_STATES: tuple[str, ...] = (LinkMachine.linked.id, LinkMachine.unlinkable.id)
# Holds one of the shop's marketing-account slots: an invitation reserves its slot.
SLOT_STATES: tuple[str, ...] = (LinkMachine.invited.id, *HOLDING_STATES)


@functools.cache
def allowed_events(state: str) -> tuple[str, ...]:
    """Events the machine accepts in `state`, in definition order, without duplicates."""
    source = next(s for s in LinkMachine.states if s.id == state)
    return tuple(dict.fromkeys(t.event for t in source.transitions))


def timers() -> list[Timer]:
    """The clock's transitions, read from the machine so the sweeps never restate them."""
    found = []
    for state in LinkMachine.states:
        for transition in state.transitions:
            if transition.event in TIMER_DEADLINES:
                found.append(
                    Timer(
                        event=transition.event,
                        source=state.id,
                        target=transition.target.id,
                        deadline=TIMER_DEADLINES[transition.event],
                        ends_link=transition.target.final,
                    )
                )
    return found


def refuse_other_account(link: Link | Moving, answering: str | None) -> None:
    if answering is not None and answering != link.account.username:
        raise Refused.one("not_invitee",
                          f"link {link.id} invites @{link.account.username}, not @{answering}")


def refuse_not_allowed(link: Link | Moving, event: str, answering: str | None) -> None:
    """An event the link's state does not take, refused with the reason a person looks for:
    who answers [`not_invitee`], a deadline [`invitation_expired`, `unlink_too_early`],
    else the state [`invalid_transition`]."""
    if event in ANSWERS:
        refuse_other_account(link, answering)
    if event in ANSWERS and link.state == LinkMachine.expired.id:
        raise Refused.one("invitation_expired",
                          f"the invitation of link {link.id} expired at {iso(link.expires_at)}")
    if event == "unlink" and link.state == LinkMachine.linked.id:
        raise Refused.one("unlink_too_early",
                          f"link {link.id} can be unlinked from {iso(link.unlockable_at)}, "
                          f"24 hours after it was linked")
    raise Refused.one("invalid_transition", f"cannot {event} link {link.id}: it is {link.state}")


# Machines at rest, each in a seat with no link; a thread takes one, sends, gives it back.
# list.pop and list.append are atomic, so no two threads ever hold the same machine.
_idle: list[LinkMachine] = []


def fire(link: Link | Moving, event: str, *, actor: str, now: datetime, at: datetime | None = None,
         violations: list[Violation] | None = None, ttl: timedelta | None = None,
         answering: str | None = None) -> None:
    """Apply `event` to `link` and append its history row, or refuse with the reasons.

    Who, when and the rules' verdict travel as the event's arguments, so a machine holds
    nothing of one event for the next. `answering` is the account that answers an
    invitation; the validators check it. The machine comes from the idle ones and goes
    back after an event that moved its link, with a fresh engine if the link reached a
    final state; a machine whose event raised is dropped.
    """
    if event not in allowed_events(link.state):
        refuse_not_allowed(link, event, answering)
    violations = violations or []
    try:
        machine = _idle.pop()
    except IndexError:
        machine = LinkMachine(Seat(link))
    machine.model.link = link
    try:
        machine.send(event, at=at or now, ttl=ttl, actor=actor, now=now,
                     violations=violations, answering=answering)
    except TransitionNotAllowed:
        raise Refused(violations) from None
    machine.model.link = None
    if link.state in FINAL_STATES:
        _restart(machine)
    _idle.append(machine)


def _restart(machine: LinkMachine) -> None:
    """Give a machine whose link ended a new engine, so it can move the next link.

    python-statemachine stops a machine's engine at a final state and has no public way to
    start it again. A new engine is what the library's own unpickling gives a machine
    (`StateChart.__setstate__`): 15 us, against 270 us to build a machine, which every
    rejected link paid. The engine holds only queues and a lock; the callbacks and the
    state stay with the machine and its seat. tests/unit/test_link_machine.py checks that
    a restarted machine moves the next link, so a library change that breaks this fails
    there, not in production.
    """
    machine._engine = machine._get_engine()


def start(link: Link | Moving, *, actor: str, now: datetime) -> None:
    """Put a new link in the machine's initial state and record that it was searched."""
    link.state = LinkMachine.searched.id
    link.created_at = now
    link.record(recorded("search", None, link.state, actor=actor, at=now, now=now))
