"""A sweep beside a backlog writes about what it writes alone (SQLite).

Each expiry or unlock changes a link's state, and SQLite rewrites the entry of every index
that mentions the state. Due links are spread over every shop, so an index keyed by shop
and state had each batch touch a page or two in every shop beside a backlog of other open
links, where alone the whole index is a few pages: beside 1,000,000 links not yet due a
batch wrote 3,771 pages against 1,223 alone, and took 1.7-2.0 times as long. Since
migration 0010 only the unique index of open links, which an expiry must leave, is keyed
by shop and moves with a link, and only when it ends (1,696 pages, 1.2 times as long).
Counted in the pages the sweep's commit writes to the WAL, which, unlike its time, does
not depend on the machine.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from shoplink.jobs.sweep import sweep
from shoplink.workflows.db import make_engine
from tests.benchmarks.seed import NOW, load_links

SHOPS = 100
DUE = 500  # five in each shop, half invitations past expiry, half links past their lock
LATER = 20_000  # two hundred open links in each shop, not yet due
WAL_HEADER, FRAME_HEADER = 32, 24


def pages_written(template: Path, directory: Path, later: int) -> int:
    """The pages the sweep of DUE due links writes, beside `later` links not yet due."""
    path = directory / f"beside_{later}.db"
    shutil.copy(template, path)
    loading = make_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    load_links(loading, DUE, later, shop_count=SHOPS)
    loading.dispose()
    with sqlite3.connect(path) as connection:  # an empty WAL: only the sweep's pages follow
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    engine = make_engine(f"sqlite:///{path}")
    sa.event.listen(engine, "connect",
                    lambda driver, _: driver.execute("PRAGMA wal_autocheckpoint=0"))
    try:
        assert sweep(engine, NOW).total == DUE
        wal = path.with_name(path.name + "-wal").stat().st_size
    finally:
        engine.dispose()
    return (wal - WAL_HEADER) // (page_size + FRAME_HEADER)


def test_a_sweep_beside_other_open_links_writes_under_twice_the_pages_it_writes_alone(
        sqlite_template, tmp_path):
    alone = pages_written(sqlite_template, tmp_path, 0)
    beside = pages_written(sqlite_template, tmp_path, LATER)
    # Before migration 0010 (an index on shop and state, the unique one by state): 228
    # pages against 76 (3.0x).
    assert beside < 2 * alone, f"{beside} pages beside {LATER:,} open links, {alone} alone"
