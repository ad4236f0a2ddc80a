"""Small builders for the rule, deadline and race tests: whole workflows in one call.

Every step goes through the real service layer; only what no service can do (ban an
account, put a shop back in probation, read raw rows) touches the session directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from freezegun import freeze_time

from shoplink.workflows.clock import utc_now
from shoplink.workflows.errors import Refused
from shoplink.workflows.links import accept_link, new_link, unlink_link
from shoplink.workflows.models import Account, Link, LinkEvent, Shop
from shoplink.workflows.schema import MIGRATIONS
from shoplink.workflows.uow import UnitOfWork

UowFactory = Callable[[], UnitOfWork]
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)


@contextmanager
def clock(start: datetime) -> Iterator[Any]:
    """Freeze the application's clock at `start`; `.move_to(t)` travels, `now()` reads it."""
    with freeze_time(start) as frozen:
        yield frozen


def now() -> datetime:
    """The application's clock, as the CLI reads it (freezegun moves it)."""
    return utc_now()


def refused(call: Callable[[], Any]) -> Refused:
    """Run `call`, expect a refusal, and return it."""
    with pytest.raises(Refused) as caught:
        call()
    return caught.value


def codes(error: Refused) -> list[str]:
    return [v.code for v in error.violations]


def linked(uow: UowFactory, shop: str, username: str, at: datetime) -> dict[str, Any]:
    """Invite `username` to `shop` and accept at once, at `at`."""
    link = new_link(uow(), shop, username, at)
    return accept_link(uow(), link["id"], username, at)


def link_history(uow: UowFactory, shop: str, usernames: list[str], start: datetime,
                 step: timedelta = DAY) -> datetime:
    """Link and unlink each account in turn, one every `step` (>= 24h) from `start`.

    Leaves every slot free and one 180-day-window entry per account, linked at
    start, start + step, ...; returns the time the last one was unlinked.
    """
    at = start
    for username in usernames:
        link = linked(uow, shop, username, at)
        at += step
        unlink_link(uow(), link["id"], at)
    return at


def set_column(uow: UowFactory, model: type[Account] | type[Shop], key: Any, **values: Any) -> None:
    """Change a row directly, for what no service does (ban an account, extend probation)."""
    column = model.username if model is Account else model.name
    with uow() as work:
        work.session.execute(sa.update(model).where(column == key).values(**values))
        work.commit()


def raw_link(uow: UowFactory, link_id: int) -> tuple[str, int]:
    """The link's stored state and its number of history rows, bypassing every service."""
    with uow() as work:
        state = work.session.execute(sa.select(Link.state).where(Link.id == link_id)).scalar_one()
        events = work.session.execute(
            sa.select(sa.func.count()).where(LinkEvent.link_id == link_id)
        ).scalar_one()
    return state, events


def stored_states(uow: UowFactory) -> dict[int, str]:
    with uow() as work:
        return dict(work.session.execute(sa.select(Link.id, Link.state)).all())


def migrate(engine: sa.Engine, revision: str, *, down: bool = False) -> None:
    """Bring the database up (or down) to `revision` with the project's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

