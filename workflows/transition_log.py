"""One log line per committed transition of the per-link path (the commands and the API).

Set-based sweeps log one line per batch instead (jobs/sweep.py). The per-link path notes
each history row it writes on its session (`written`); the lines are logged after the
commit, so a refused or rolled-back transition is never logged as done.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from shoplink.workflows.clock import iso

log = logging.getLogger("shoplink.transitions")
PENDING = "shoplink.transitions"


def written(session: Session, rows: list[Any]) -> None:
    """History rows (with their link_id) this session's transaction wrote: logged at commit."""
    session.info.setdefault(PENDING, []).extend(rows)


def _report(session: Session) -> None:
    for row in session.info.pop(PENDING, []):
        lateness = max(0.0, (row.recorded_at - row.at).total_seconds())
        log.info("link %s %s: %s -> %s by %s", row.link_id, row.event, row.from_state or "-",
                 row.to_state, row.actor,
                 extra={"action": "transition", "link_id": row.link_id, "event": row.event,
                        "from_state": row.from_state, "to_state": row.to_state,
                        "actor": row.actor, "at": iso(row.at),
                        "lateness_seconds": round(lateness, 3)})


def _forget(session: Session, _previous: Any) -> None:
    session.info.pop(PENDING, None)


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "after_commit", _report):
        event.listen(Session, "after_commit", _report)
        event.listen(Session, "after_soft_rollback", _forget)
