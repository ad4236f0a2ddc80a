"""Bulk data for the benchmarks, written below the service layer.

PostgreSQL takes rows through COPY, SQLite through Core executemany in large
chunks. Links are spread over many shops x accounts, one open link per pair, as
the unique partial index on (shop_id, account_id) for open states demands.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.models import Account, Link, Shop

if TYPE_CHECKING:
    from tests.benchmarks.harness import Context

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
EPOCH = NOW - timedelta(days=30)
CHUNK = 20_000
SYLLABLES = ("ka", "lo", "mi", "su", "ten", "ro", "vi", "za", "no", "pe", "qu", "xi")


SHOP_COLUMNS = ("id", "name", "region", "probation_ends_at", "official_account_id", "created_at")
ACCOUNT_COLUMNS = ("id", "username", "nickname", "nickname_key", "email", "region", "birth_date",
                   "status", "created_at", "updated_at")
LINK_COLUMNS = ("id", "shop_id", "account_id", "state", "created_at", "invited_at", "expires_at",
                "linked_at", "unlockable_at", "ended_at")


def bulk_insert(engine: sa.Engine, table: sa.Table, columns: tuple[str, ...],
                rows: Iterable[tuple]) -> int:
    """Insert tuples of `columns`, in one transaction; returns the row count."""
    count = 0
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            # The DBAPI's executemany, times written as SQLAlchemy stores them on SQLite.
            cursor = connection.connection.driver_connection.cursor()
            cursor.execute("PRAGMA cache_size = -524288")  # this loading connection only
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
            for chunk in batched(rows, CHUNK):
                cursor.executemany(sql, [tuple(map(_sqlite_value, row)) for row in chunk])
                count += len(chunk)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table.name}))"
            )
    return count


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")[:26]  # every seeded time is UTC
    return value


def batched(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def shops(count: int, start: int = 1) -> Iterator[tuple]:
    for i in range(start, start + count):
        yield (i, f"Shop {i}", "US", None, None, EPOCH)


def username(i: int) -> str:
    """Readable, prefix-sharing names: `kalomi_123`-like, unique by the number."""
    a, b, c = SYLLABLES[i % 12], SYLLABLES[(i // 12) % 12], SYLLABLES[(i // 144) % 12]
    return f"{a}{b}{c}_{i}"


def nickname(i: int) -> str:
    return f"{SYLLABLES[(i // 7) % 12].title()} {SYLLABLES[i % 12].title()} Ünïcode {i}"


def accounts(count: int, start: int = 1) -> Iterator[tuple]:
    from shoplink.workflows.validate import search_key

    for i in range(start, start + count):
        nick = nickname(i)
        yield (i, username(i), nick, search_key(nick), f"{username(i)}@example.com", "US",
               None, "active", EPOCH, EPOCH)


def link(i: int, shop_id: int, account_id: int, state: str, deadline: datetime) -> tuple:
    """A link `invited` (deadline = expires_at) or `linked` (deadline = unlockable_at)."""
    if state == "invited":
        invited = deadline - timedelta(hours=48)
        return (i, shop_id, account_id, "invited", invited, invited, deadline, None, None, None)
    linked = deadline - timedelta(hours=24)
    return (i, shop_id, account_id, "linked", linked - timedelta(hours=1),
            linked - timedelta(hours=1), linked - timedelta(hours=1) + timedelta(hours=48),
            linked, deadline, None)


def links(due: int, future: int, shop_count: int, *, seed: int = 7,
          due_before: datetime = NOW) -> Iterator[tuple]:
    """`due` links past their deadline at `due_before`, then `future` links not yet due;
    alternately invitations and locked links. Deadlines follow creation (id) order, as
    they do in life (a fixed TTL or lock after an invitation or an acceptance), with up
    to an hour of jitter on the unlocks (people accept at different speeds)."""
    rng = random.Random(seed)
    span = timedelta(hours=46).total_seconds()
    for i in range(due + future):
        shop_id, account_id = i % shop_count + 1, i // shop_count + 1
        state = "invited" if i % 2 == 0 else "linked"
        jitter = rng.uniform(0, 3600) if state == "linked" else 0.0
        if i < due:
            offset = -span - 3600 + span * i / max(due, 1) + jitter
        else:
            offset = 1 + span * (i - due) / max(future, 1) + jitter
        yield link(i + 1, shop_id, account_id, state, due_before + timedelta(seconds=offset))


def load_links(engine: sa.Engine, due: int, future: int = 0, shop_count: int = 1000,
               **options: object) -> None:
    """Shops, accounts and links for a sweep: `due` due at NOW, `future` due later."""
    total = due + future
    shop_count = min(shop_count, max(total, 1))
    bulk_insert(engine, Shop.__table__, SHOP_COLUMNS, shops(shop_count))
    bulk_insert(engine, Account.__table__, ACCOUNT_COLUMNS, accounts(math.ceil(total / shop_count)))
    bulk_insert(engine, Link.__table__, LINK_COLUMNS, links(due, future, shop_count, **options))


def due_database(ctx: Context, due: int, future: int = 0) -> str:
    """A loaded, settled database of `due` due and `future` later links, built once per run
    and never written to: measurements work on clones of it."""
    key = f"links:{due}:{future}"
    if key not in ctx.sources:
        url = ctx.databases.fresh(f"due{due}_later{future}")
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        load_links(engine, due, future)
        engine.dispose()
        ctx.databases.settle(url)
        ctx.sources[key] = url
    return ctx.sources[key]


# A finished link's transitions after its search, by the state it ended in.
ENDINGS = {
    "unlinked": (("verify", "searched", "verified"), ("invite", "verified", "invited"),
                 ("accept", "invited", "linked"), ("unlock", "linked", "unlinkable"),
                 ("unlink", "unlinkable", "unlinked")),
    "expired": (("verify", "searched", "verified"), ("invite", "verified", "invited"),
                ("expire", "invited", "expired")),
    "declined": (("verify", "searched", "verified"), ("invite", "verified", "invited"),
                 ("decline", "invited", "declined")),
    "cancelled": (("verify", "searched", "verified"), ("cancel", "verified", "cancelled")),
    "rejected": (("verify", "searched", "rejected"),),
}
EVENT_COLUMNS = ("link_id", "event", "from_state", "to_state", "actor", "at", "recorded_at")


def finished(count: int, first_shop: int, first_account: int, per_shop: int) -> Iterator[tuple]:
    """`count` links that ended over 180 days before NOW, `per_shop` to a shop from
    `first_shop` on, each with an account of its own from `first_account` on."""
    endings = tuple(ENDINGS)
    for i in range(count):
        state = endings[i % len(endings)]
        start = NOW - timedelta(days=200, minutes=17 * i)
        invited = start if state in ("unlinked", "expired", "declined") else None
        linked = start + timedelta(hours=1) if state == "unlinked" else None
        yield (i + 1, first_shop + i // per_shop, first_account + i, state, start, invited,
               invited + timedelta(hours=48) if invited else None, linked,
               linked + timedelta(hours=24) if linked else None, start + timedelta(days=3))


def histories(links: Iterable[tuple]) -> Iterator[tuple]:
    """The history rows of `finished` links: their search, then one row a transition."""
    for link_id, _, _, state, start, *_ in links:
        steps = (("search", None, "searched"), *ENDINGS[state])
        for k, (event, source, target) in enumerate(steps):
            at = start + timedelta(minutes=10 * k)
            yield (link_id, event, source, target, "seed", at, at)


def load_history(engine: sa.Engine, count: int, first_shop: int, first_account: int,
                 per_shop: int = 10) -> None:
    """A platform's past: `count` finished links with their history, on shops and accounts
    of their own, so that the tables a link reads hold rows (and PostgreSQL's statistics,
    taken when the database settles, say so)."""
    from shoplink.workflows.models import LinkEvent

    bulk_insert(engine, Shop.__table__, SHOP_COLUMNS,
                shops(math.ceil(count / per_shop), start=first_shop))
    bulk_insert(engine, Account.__table__, ACCOUNT_COLUMNS, accounts(count, start=first_account))
    bulk_insert(engine, Link.__table__, LINK_COLUMNS,
                finished(count, first_shop, first_account, per_shop))
    bulk_insert(engine, LinkEvent.__table__, EVENT_COLUMNS,
                histories(finished(count, first_shop, first_account, per_shop)))
