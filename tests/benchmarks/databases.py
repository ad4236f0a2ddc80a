"""Throwaway databases for one benchmark run: fresh, migrated, cloned, and dropped at the end.

SQLite: files in a temporary directory, cloned by copying the file. PostgreSQL: fresh
databases on the given server, cloned with CREATE DATABASE ... TEMPLATE (a file copy,
statistics and hint bits included), all dropped when the run ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.schema import upgrade


class Databases:
    """Creates, clones and drops the databases of one run on one backend."""

    def __init__(self, server_url: str | None = None) -> None:
        self.server_url = server_url if server_url and not server_url.startswith("sqlite") else None
        self.backend = "postgresql" if self.server_url else "sqlite"
        self.directory = Path(tempfile.mkdtemp(prefix="shoplink-bench-"))
        self.prefix = f"shoplink_bench_{uuid.uuid4().hex[:8]}"
        self._created: list[str] = []
        self._template: str | None = None

    # -- naming -----------------------------------------------------------------------------
    def _url(self, label: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.directory / label}.db"
        url = sa.engine.make_url(self.server_url)
        return url.set(database=f"{self.prefix}_{label}").render_as_string(hide_password=False)

    def _name(self, url: str) -> str:
        return sa.engine.make_url(url).database or ""

    def _admin(self) -> sa.Engine:
        return make_engine(self.server_url, isolation_level="AUTOCOMMIT",
                           poolclass=sa.pool.NullPool)

    # -- the public verbs -------------------------------------------------------------------
    def fresh(self, label: str) -> str:
        """An empty database at the newest schema (a clone of one migrated template)."""
        if self._template is None:
            self._template = self._create_migrated("template")
        return self.clone(self._template, label)

    def clone(self, source: str, label: str) -> str:
        """A copy of `source`, which must have no open connections."""
        target = self._url(f"{label}_{uuid.uuid4().hex[:6]}")
        if self.backend == "sqlite":
            shutil.copyfile(self._name(source), self._name(target))
            _write_back(self._name(target))
        else:
            with self._admin().connect() as connection:
                connection.exec_driver_sql(
                    f'CREATE DATABASE "{self._name(target)}" TEMPLATE "{self._name(source)}"'
                )
        self._created.append(target)
        return target

    def drop(self, url: str) -> None:
        """SQLite: delete the file now. PostgreSQL: at close(), since each DROP DATABASE
        waits for a checkpoint, and drops made together share one."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm", ".write.lock"):
                Path(self._name(url) + suffix).unlink(missing_ok=True)
            self._created.remove(url)

    def close(self) -> None:
        """Drop every database this run made."""
        if self.backend == "postgresql" and self._created:
            with ThreadPoolExecutor(max_workers=min(16, len(self._created))) as pool:
                list(pool.map(self._drop_postgresql, self._created))
        self._created.clear()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _drop_postgresql(self, url: str) -> None:
        with self._admin().connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self._name(url)}" WITH (FORCE)')

    def _create_migrated(self, label: str) -> str:
        url = self._url(label)
        if self.backend == "postgresql":
            with self._admin().connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{self._name(url)}"')
        self._created.append(url)
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        upgrade(engine)
        engine.dispose()
        return url

    def engine(self, url: str, **options: object) -> sa.Engine:
        return make_engine(url, **options)

    def settle(self, url: str) -> None:
        """After bulk loading: checkpoint the WAL (SQLite; no ANALYZE, as users have none) or
        VACUUM ANALYZE (PostgreSQL, as autovacuum would), so every clone starts the same."""
        if self.backend == "sqlite":
            # Closing the last connection checkpointed the WAL: the file is all there is.
            assert not Path(self._name(url) + "-wal").exists(), "close every engine first"
            return
        engine = make_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()


def _write_back(path: str) -> None:
    """Put a fresh copy on disk before anything is measured on it, as a database in use is.

    Copied, the whole file sits dirty in the kernel's page cache, and the first fsync of
    the database (the first checkpoint of whatever is measured) wrote all of it back: 290
    MB beside the scale benchmark's backlog, 90-100 ms of a 190 ms sweep, against 3 MB
    for the sweep alone, and more or less of it depending on what the kernel had already
    written back by itself."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

