"""The link machine's vocabulary as plain data: its states, their named groups and its timers.

Reads and sweeps use these without importing python-statemachine (about 20 ms of every
command's start-up); only a path that fires an event builds the machine
(workflows/machine.py). The machine stays the single source of truth: these are copies
of what it says, and tests/unit/test_link_vocabulary.py keeps them equal to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar


@dataclass(frozen=True)
class Timer:
    """A transition the clock fires: `event` moves `source` to `target` at `deadline`."""

    event: str
    source: str
    target: str
    deadline: str
    ends_link: bool


STATES: tuple[str, ...] = ("searched", "verified", "invited", "linked", "unlinkable",
                           "rejected", "declined", "cancelled", "expired", "unlinked")
FINAL_STATES: tuple[str, ...] = ("rejected", "declined", "cancelled", "expired", "unlinked")
# A link still open: another to the same shop and account is refused (`already_linked`).
OPEN_STATES: tuple[str, ...] = ("searched", "verified", "invited", "linked", "unlinkable")
# The account is the shop's marketing account: its showcase can change, it counts 180 days.
HOLDING_STATES: tuple[str, ...] = ("linked", "unlinkable")
# Holds one of the shop's marketing-account slots: an invitation reserves its slot.
SLOT_STATES: tuple[str, ...] = ("invited", *HOLDING_STATES)

TIMER_DEADLINES = {"expire": "expires_at", "unlock": "unlockable_at"}
# The clock's transitions, in the machine's state order (machine.timers() derives them).
TIMERS: tuple[Timer, ...] = (
    Timer(event="expire", source="invited", target="expired", deadline="expires_at",
          ends_link=True),
    Timer(event="unlock", source="linked", target="unlinkable", deadline="unlockable_at",
          ends_link=False),
)
# Who fires a timer transition, in its history row.
SYSTEM = "system"

V = TypeVar("V")


def entered(target: str, at: V) -> dict[str, V | str]:
    """What entering `target` at `at` writes on the link beyond its own dates: the state,
    and `ended_at` for a final one. The machine's hook and the sweeps' SQL both use it
    (`at` is a datetime there, a column expression here)."""
    values: dict[str, V | str] = {"state": target}
    if target in FINAL_STATES:
        values["ended_at"] = at
    return values


def recorded(event: str, source: str | None, target: str, *, actor: str, at: V,
             now: V) -> dict[str, V | str | None]:
    """The history row of one transition, for the machine and for the sweeps' SQL alike:
    `at` is when it took effect (a timer's deadline), `now` when it was written."""
    return {"event": event, "from_state": source, "to_state": target, "actor": actor,
            "at": at, "recorded_at": now}
