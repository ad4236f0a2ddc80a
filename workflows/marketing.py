"""The Marketing accounts tab: the links holding one of a shop's four slots.

A read that fires no event, so it stays off the link machine's path (python-statemachine,
the rules, the outbox): `shoplink marketing` loads only what it shows. workflows/links.py
holds the commands that change links.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import lookup
from shoplink.workflows.models import Link
from shoplink.workflows.timers import catch_up_for_read
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.views import link_view
from shoplink.workflows.vocabulary import SLOT_STATES


def marketing_accounts(uow: UnitOfWork, shop_ref: str | int, now: datetime) -> list[dict[str, Any]]:
    """The Marketing accounts tab: the links holding one of the shop's four slots."""
    with uow.reading():
        shop_id = lookup.shop(uow.session, shop_ref).id
        catch_up_for_read(uow, [shop_id], now)
        return slot_holders(uow.session, shop_id)


def slot_holders(session: Session, shop_id: int) -> list[dict[str, Any]]:
    """The caught-up shop's links in a slot-holding state, oldest first."""
    query = (
        sa.select(Link)
        .where(Link.shop_id == shop_id, Link.state.in_(SLOT_STATES))
        .order_by(Link.id)
    )
    return [link_view(link) for link in session.execute(query).unique().scalars()]
