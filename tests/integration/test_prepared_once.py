"""SQLite prepares each statement of the paths people wait on once per connection, not at
every execution. It prepares a statement again at each execution when, while planning
it, it compared a bound value with a partial index's WHERE (`state = ?` against the due
indexes' `WHERE state = 'invited'`): for a small read that costs as much as the read.
So the states are written into the SQL (`lookup.literal_name`, `lookup.states_in`).

Counted with SQLite's authorizer, which it calls for each table and column it meets
while preparing a statement, and never while running one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from shoplink.workflows.accounts import search_accounts
from shoplink.workflows.db import make_engine
from shoplink.workflows.links import accept_link, new_link, show_link
from shoplink.workflows.marketing import marketing_accounts
from shoplink.workflows.shops import show_shop
from shoplink.workflows.uow import UnitOfWork
from tests.conftest import T0, listening


@contextmanager
def preparing(engine: sa.Engine) -> Iterator[list[str]]:
    """The statements SQLite prepared while the block ran them, on any of the engine's
    connections. The authorizer is set as each connection opens (setting it later would
    itself make every statement already prepared be prepared again), so it stays with
    the engine; the statements stop being watched when the block ends."""
    calls, prepared = [0], []

    def authorize(*_: Any) -> int:
        calls[0] += 1
        return sqlite3.SQLITE_OK

    def before(*_: Any) -> None:
        calls[0] = 0

    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if calls[0]:
            prepared.append(statement)

    sa.event.listen(engine, "connect", lambda driver, _record: driver.set_authorizer(authorize))
    with listening(engine, before_cursor_execute=before, after_cursor_execute=after):
        yield prepared


def a_seller_and_an_account_at_work(engine: sa.Engine, username: str) -> None:
    """Search, link and accept, then the tab, the shop and the link's page."""
    found = search_accounts(UnitOfWork(engine), username)
    link = new_link(UnitOfWork(engine), "Acme", found[0]["username"], T0)
    assert accept_link(UnitOfWork(engine), link["id"], username, T0)["state"] == "linked"
    assert len(marketing_accounts(UnitOfWork(engine), "Acme", T0)) >= 1
    assert show_shop(UnitOfWork(engine), "Acme", T0)["marketing_accounts"] >= 1
    assert show_link(UnitOfWork(engine), link["id"], T0)["state"] == "linked"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's preparation
def test_the_second_link_and_its_reads_prepare_no_statement_again(
        database_url, make_shop, make_account):
    make_shop("Acme")
    for name in ("alice", "bob", "carol"):
        make_account(name)
    engine = make_engine(database_url)
    try:
        with preparing(engine) as prepared:
            a_seller_and_an_account_at_work(engine, "alice")
            assert prepared, "the first link prepares its statements: the counter counts"
            prepared.clear()
            a_seller_and_an_account_at_work(engine, "bob")
            a_seller_and_an_account_at_work(engine, "carol")
        assert prepared == []
    finally:
        engine.dispose()
