"""On PostgreSQL each statement a command waits for is a round trip to the server, so the
commands people wait on send what nobody reads back (a link's write, the Business upgrade,
its audit entry and outbox event, the shop's and the account's locks) together, in one
round trip (`driver.pipelined`, psycopg's pipeline mode). Counted with libpq's own trace
of the protocol: every time the client asks the server to answer (a simple Query, a Sync,
a Flush not right after a Sync) is one round trip, whatever the timing.

The block's errors still arrive as SQLAlchemy's and leave nothing written, and a
statement on SQLAlchemy's execution, which would read its result before the server sent
it, is refused inside a block."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from shoplink.workflows.accounts import search_accounts
from shoplink.workflows.audit import list_entries
from shoplink.workflows.driver import DriverStatement, pipelined
from shoplink.workflows.link_rows import LINKS, SHOPS
from shoplink.workflows.links import accept_link, new_link
from shoplink.workflows.outbox import read_events
from tests.conftest import T0, listening

ASKING = {"Query", "Sync", "Flush"}  # the client's messages that the server answers


@contextmanager
def round_trips(engine: sa.Engine, path: Path) -> Iterator[list[int]]:
    """The round trips the engine's connections make inside the block, traced by libpq
    while each connection is checked out; the count is in the list when the block ends."""
    counted: list[int] = []

    def trace(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        pgconn = dbapi_connection.pgconn
        pgconn.trace(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT))  # libpq closes it
        pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

    def untrace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.pgconn.untrace()

    with listening(engine, checkout=trace, checkin=untrace):
        yield counted
    asked = [line.split("\t")[2] for line in path.read_text().splitlines()
             if line.startswith("F\t") and line.split("\t")[2].split()[0] in ASKING]
    # A Sync and the Flush psycopg sends right after it are answered together.
    counted.append(sum(1 for i, kind in enumerate(asked)
                       if not (kind == "Flush" and i and asked[i - 1] == "Sync")))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # a server's round trips
def test_accepting_sends_its_writes_in_one_round_trip(
        engine, uow, make_shop, make_account, tmp_path):
    """An account's first acceptance: BEGIN, the link's shop, the two locks, the link, the
    rules, then the link's write with the Business upgrade, its audit entry and its outbox
    event together, and COMMIT: seven round trips, where a statement each was twelve."""
    make_shop("Acme")
    make_account("alice")
    link = new_link(uow(), "Acme", "alice", T0)

    with round_trips(engine, tmp_path / "accept.trace") as accepting:
        accepted = accept_link(uow(), link["id"], "alice", T0)

    assert accepted["state"] == "linked"
    assert accepting == [7]
    entries = list_entries(uow(), username="alice")
    assert [e["action"] for e in entries].count("business upgrade") == 1
    types = [event["type"] for event in read_events(uow(), 0, 100)]
    assert types[-2:] == ["link.linked", "account.business_upgraded"]  # in the order they happened


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_whole_link_takes_fourteen_round_trips(engine, uow, make_shop, make_account, tmp_path):
    """Search (one), new link (BEGIN, the shop, the account, the rules, the insert, COMMIT)
    and the first acceptance (seven): 14, where it was 19."""
    make_shop("Acme")
    make_account("alice")
    with round_trips(engine, tmp_path / "link.trace") as linking:
        found = search_accounts(uow(), "alice")
        link = new_link(uow(), "Acme", found[0]["username"], T0)
        assert accept_link(uow(), link["id"], "alice", T0)["state"] == "linked"
    assert linking == [14]


def test_an_error_in_a_pipelined_block_is_sqlalchemys_and_writes_nothing(engine, make_shop):
    """On PostgreSQL a statement's error arrives when the block ends, not at the statement;
    it is still SQLAlchemy's IntegrityError, and the transaction keeps nothing of the block."""
    make_shop("Acme")
    rename = DriverStatement(sa.update(SHOPS).where(SHOPS.c.name == sa.bindparam("old"))
                             .values(name=sa.bindparam("new")))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        with pipelined(connection):
            rename.execute(connection, {"old": "Acme", "new": "Acme 2"})
            DriverStatement(sa.insert(SHOPS)).execute(connection, {
                "name": "Acme 2", "region": "US", "created_at": T0, "updated_at": T0})
    with engine.connect() as connection:
        assert connection.execute(sa.select(SHOPS.c.name)).scalars().all() == ["Acme"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no pipeline
def test_sqlalchemys_execution_is_refused_inside_a_pipelined_block(engine, make_shop):
    """It would read a result the server has not sent yet (an empty one): refused loudly."""
    make_shop("Acme")
    with engine.begin() as connection, pipelined(connection):
        with pytest.raises(RuntimeError, match="inside a pipelined block"):
            connection.execute(sa.select(LINKS.c.id))
