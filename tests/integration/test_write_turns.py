"""Writers of one SQLite file take turns in a queue, across processes too: a writer that
finds another process writing waits in the kernel's queue for `<database>.write.lock`
and goes in as the other ends, instead of sleeping in SQLite's busy handler (whose naps
grow to 100 ms). The wait is bounded like the busy handler's; past it, SQLite decides.

SQLite only: PostgreSQL queues its writers on its own row locks."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from shoplink.workflows import db
from shoplink.workflows.models import Shop
from shoplink.workflows.shops import add_shop
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.write_turns import TURN_SUFFIX, write_turn
from tests.conftest import T0
from tests.integration import shoplink_process

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def turn_file(database_url: str) -> Path:
    return Path(sa.engine.make_url(database_url).database + TURN_SUFFIX)


def shop_names(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(sa.select(Shop.name).order_by(Shop.name)).scalars())


def waiting_in_the_kernel(pid: int, path: Path) -> bool:
    """Whether process `pid` waits for the flock of `path` (a '->' line of /proc/locks)."""
    inode = f":{path.stat().st_ino} "
    return any(line.split()[1] == "->" and line.split()[5] == str(pid) and inode in line
               for line in Path("/proc/locks").read_text().splitlines())


@contextmanager
def held_by_another(path: Path) -> Iterator[None]:
    """The turn file locked on a descriptor of its own, as another process's turn would be."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def free(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@SQLITE
@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads Linux's /proc/locks")
def test_a_writer_in_another_process_queues_for_the_turn_and_goes_in_when_it_ends(
        database_url, engine):
    with UnitOfWork(engine) as uow:
        add_shop_in(uow, "Acme")  # this process writes, and holds its turn until commit
        other = shoplink_process.start(database_url, "shop", "add", "Bravo")
        deadline = time.monotonic() + 30
        while not waiting_in_the_kernel(other.pid, turn_file(database_url)):
            assert other.poll() is None, other.communicate()
            assert time.monotonic() < deadline, "the other writer never queued for the turn"
            time.sleep(0.02)
        uow.commit()
    out, err = other.communicate(timeout=30)
    assert other.returncode == 0, err
    assert shop_names(engine) == ["Acme", "Bravo"]


def add_shop_in(uow: UnitOfWork, name: str) -> None:
    uow.session.add(Shop(name=name, region="US", created_at=T0))
    uow.session.flush()


@SQLITE
def test_the_turn_is_held_from_the_first_write_to_the_commit_and_given_back(
        database_url, engine):
    path = turn_file(database_url)
    with UnitOfWork(engine) as uow:
        add_shop_in(uow, "Acme")
        assert not free(path)
        uow.commit()
    assert free(path)
    with engine.connect().execution_options(**db.read_options(engine)) as connection:
        connection.execute(sa.select(Shop.id)).all()  # a read takes no turn
        assert free(path)


@SQLITE
def test_a_turn_held_past_the_bound_is_given_up_and_the_write_goes_on(
        database_url, engine, monkeypatch):
    monkeypatch.setattr(db, "BUSY_SECONDS", 0.3)
    path = turn_file(database_url)
    before = set(threading.enumerate())
    with held_by_another(path):  # a turn that does not end, SQLite's lock left free
        started = time.monotonic()
        add_shop(UnitOfWork(engine), "Acme", T0)
        waited = time.monotonic() - started
        waiting = [thread for thread in set(threading.enumerate()) - before
                   if thread.name == "shoplink-write-turn"]
    assert waited >= 0.3  # it waited its bound in the queue first
    assert shop_names(engine) == ["Acme"]
    assert waiting  # the wait it gave up, still in the kernel's queue
    for thread in waiting:  # it gets the lock as the other lets go, then lets it go too
        thread.join(timeout=5)
        assert not thread.is_alive(), "a given-up wait kept the turn"
    assert free(path)
    add_shop(UnitOfWork(engine), "Bravo", T0)
    assert free(path)


def test_an_in_memory_database_and_a_missing_directory_take_turns_among_threads_only(
        tmp_path):
    for database in (":memory:", str(tmp_path / "missing" / "shoplink.db")):
        turn = write_turn(database)
        held = turn.take(1)
        assert held is not None and held.file is None
        turn.give(held)
