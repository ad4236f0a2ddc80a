"""Whose turn it is to write a SQLite file: first among one process's threads, then among
the processes that share the file (`serve --workers`, daemons, commands).

SQLite lets one writer in at a time and makes the others poll: its busy handler sleeps
1, 2, 5 ... up to 100 ms between tries, so a writer often sleeps on after the lock came
free, and the longest waiter starves. Writers here queue instead, on a lock that wakes
the next one as the last one ends: a thread lock per file in a process, and between
processes the kernel's `flock` on an empty file beside the database
(`<database>.write.lock`, like the daemon's `.daemon.lock`). Both waits are bounded
like the busy handler; past the bound, SQLite's own wait decides.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

try:
    import fcntl
except ImportError:  # Windows: threads take turns, processes poll as SQLite makes them
    fcntl = None  # type: ignore[assignment]

TURN_SUFFIX = ".write.lock"


@dataclass
class Held:
    """One writer's turn, given back by `WriteTurn.give`: the threads' lock always, the
    file's when it was had in time."""

    file: int | None


@dataclass
class _Wait:
    """A wait for the file's lock in a helper thread, which the waiter may give up."""

    fd: int
    done: threading.Event = field(default_factory=threading.Event)
    guard: threading.Lock = field(default_factory=threading.Lock)
    locked: bool = False
    abandoned: bool = False

    def run(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            locked = True
        except OSError:
            locked = False
        with self.guard:
            self.locked = locked
            if self.abandoned or not locked:  # the waiter went on without it, or it failed
                os.close(self.fd)
            self.done.set()

    def result(self, timeout: float) -> int | None:
        """The locked descriptor, or None when it did not come within `timeout`."""
        self.done.wait(max(timeout, 0.0))
        with self.guard:
            if self.done.is_set():
                return self.fd if self.locked else None
            self.abandoned = True  # run() closes it when the lock comes
        return None


class WriteTurn:
    """The turn to write one SQLite file, for this process's threads and its processes."""

    def __init__(self, database: str | None) -> None:
        self._threads = threading.Lock()
        self._path = database + TURN_SUFFIX if database and fcntl is not None else None

    def take(self, timeout: float) -> Held | None:
        """Wait up to `timeout` seconds for the turn; None if the threads' lock did not come."""
        deadline = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return None
        return Held(self._file_turn(deadline))

    def give(self, held: Held) -> None:
        if held.file is not None:
            os.close(held.file)  # closing the descriptor releases its flock
        self._threads.release()

    def _file_turn(self, deadline: float) -> int | None:
        if self._path is None:
            return None
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:  # a directory this process may not write: SQLite decides alone
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        except OSError:
            os.close(fd)
            return None
        # Another process writes. flock has no timeout, so a helper thread waits in it and
        # this one waits for the helper, which lets it give up at the deadline.
        wait = _Wait(fd)
        threading.Thread(target=wait.run, name="shoplink-write-turn", daemon=True).start()
        return wait.result(deadline - time.monotonic())


_turns: dict[str, WriteTurn] = {}
_turns_guard = threading.Lock()


def write_turn(database: str | None) -> WriteTurn:
    """The one turn per SQLite file in this process (None or ':memory:': threads only).
    The file is named by its real path, as the daemon's lock is, so processes that reach
    it through different links still share one queue."""
    path = os.path.realpath(database) if database not in (None, "", ":memory:") else None
    with _turns_guard:
        return _turns.setdefault(path or f"memory:{database}", WriteTurn(path))
