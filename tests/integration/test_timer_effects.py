"""One description of what a timer transition writes (machine.entered and machine.recorded):
the per-link machine and the set-based SQL write identical rows for the same link."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shoplink.jobs.sweep import sweep
from shoplink.workflows import machine
from shoplink.workflows.links import accept_link, new_link
from shoplink.workflows.models import Link, LinkEvent, OutboxEvent
from shoplink.workflows.timers import apply_due
from shoplink.workflows.uow import UnitOfWork
from tests.conftest import T0

HOUR = timedelta(hours=1)
LATER = T0 + 4 * 24 * HOUR
SKIP = {"id", "link_id", "account_id", "history_id", "shop_id"}


def rows(engine, link_id):
    """The link's row, its last history row and its last outbox row, without their ids."""
    def strip(row):
        return {k: v for k, v in row._mapping.items() if k not in SKIP}

    with engine.connect() as connection:
        link = connection.execute(sa.select(Link.__table__).where(Link.id == link_id)).one()
        history = connection.execute(
            sa.select(LinkEvent.__table__).where(LinkEvent.link_id == link_id)
            .order_by(LinkEvent.id.desc()).limit(1)).one()
        outbox = connection.execute(
            sa.select(OutboxEvent.__table__).where(OutboxEvent.link_id == link_id)
            .order_by(OutboxEvent.id.desc()).limit(1)).one()
    return strip(link), strip(history), strip(outbox)


def fire_per_link(engine, link_id, event, deadline_column):
    """The per-link path: the machine fires the timer's event at its deadline."""
    with UnitOfWork(engine) as uow:
        link = uow.session.get(Link, link_id)
        machine.fire(link, event, actor=machine.SYSTEM, now=LATER,
                     at=getattr(link, deadline_column))
        uow.commit()


@pytest.mark.parametrize("how", ["command catch-up", "daemon sweep"])
@pytest.mark.parametrize("event", ["expire", "unlock"])
def test_the_machine_and_the_set_based_sql_write_identical_rows(engine, make_shop,
                                                                make_account, uow, how, event):
    make_shop("Acme")
    ids = []
    for name in ("ann", "ben"):
        make_account(name)
        link = new_link(uow(), "Acme", name, T0)
        if event == "unlock":
            link = accept_link(uow(), link["id"], name, T0 + HOUR)
        ids.append(link["id"])
    [timer] = [t for t in machine.timers() if t.event == event]

    fire_per_link(engine, ids[0], event, timer.deadline)
    if how == "daemon sweep":
        assert sweep(engine, LATER, batch=10).total == 1
    else:
        with UnitOfWork(engine) as own:
            assert apply_due(own.session, LATER).total == 1
            own.commit()

    by_machine, by_sql = rows(engine, ids[0]), rows(engine, ids[1])
    assert by_machine == by_sql
    assert by_sql[0]["state"] == timer.target
    assert by_sql[1]["actor"] == "system" and by_sql[1]["recorded_at"] == LATER
