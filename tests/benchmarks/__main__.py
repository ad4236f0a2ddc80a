"""`python -m tests.benchmarks [--quick] [--db URL] [--json FILE] [--only NAME ...]`.

Runs every measurement on one backend (default: throwaway SQLite files; with
`--db postgresql://...`, fresh databases on that server, dropped afterwards) and
prints one table. Figures are ratios measured side by side in this run.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from tests.benchmarks import machine
from tests.benchmarks.databases import Databases
from tests.benchmarks.harness import Context, Row, Sizes
from tests.benchmarks.report import table, write_json

MEASUREMENTS = ("sweep", "peer", "lateness", "scale", "workflow", "search", "startup")


def run(server_url: str | None, sizes: Sizes, only: tuple[str, ...] = MEASUREMENTS,
        log=print) -> list[Row]:
    """Every measurement named in `only`, on one backend; returns the rows."""
    import importlib

    databases = Databases(server_url)
    context = Context(databases, sizes)
    try:
        for name in only:
            started = time.perf_counter()
            module = importlib.import_module(f"tests.benchmarks.{name}")
            module.run(context)
            log(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        databases.close()
    for note in context.notes:
        log(f"# note: {note}", file=sys.stderr)
    return context.rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under 60 seconds")
    parser.add_argument("--db", metavar="URL", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="write the rows as JSON")
    parser.add_argument("--only", nargs="+", choices=MEASUREMENTS, default=MEASUREMENTS)
    parser.add_argument("--sizes", choices=("full", "quick", "tiny"), help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    sizes = Sizes.named(options.sizes or ("quick" if options.quick else "full"))
    print(machine.describe(options.db), file=sys.stderr)
    try:
        rows = run(options.db, sizes, tuple(options.only))
    except Exception:  # noqa: BLE001 - a failed benchmark says where, then exits 1
        traceback.print_exc()
        return 1
    print(table(rows))
    if options.json:
        write_json(rows, options.json)
    missed = [row.name for row in rows if row.met is False]
    if missed:
        print(f"# targets missed: {len(missed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
