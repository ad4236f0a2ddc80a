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

MEASUREMENTS = ("sweep", "peer", "lateness", "scale", "workflow", "search", "startup", "load",
                "per_request", "webhooks", "pages")


class MeasurementsFailed(Exception):
    """Some measurements failed; the rows of the others are in `rows`."""

    def __init__(self, failures: dict[str, str], rows: list[Row]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in failures.items()))
        self.rows = rows


def run(server_url: str | None, sizes: Sizes, only: tuple[str, ...] = MEASUREMENTS,
        log=print) -> list[Row]:
    """Every measurement named in `only`, on one backend; returns the rows.

    A failing measurement does not cost the others: they run, then MeasurementsFailed
    carries every failure and the rows that were measured."""
    import importlib

    databases = Databases(server_url)
    context = Context(databases, sizes)
    failures: dict[str, str] = {}
    try:
        for name in only:
            started = time.perf_counter()
            try:
                importlib.import_module(f"tests.benchmarks.{name}").run(context)
            except Exception as failure:  # noqa: BLE001 - reported below, after the rest ran
                log(traceback.format_exc(), file=sys.stderr)
                failures[name] = f"{type(failure).__name__}: {failure}"
            log(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        databases.close()
    for note in context.notes:
        log(f"# note: {note}", file=sys.stderr)
    if failures:
        raise MeasurementsFailed(failures, context.rows)
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
    code = 0
    try:
        rows = run(options.db, sizes, tuple(options.only))
    except MeasurementsFailed as failed:
        print(f"# failed: {failed}", file=sys.stderr)
        rows, code = failed.rows, 1
    print(table(rows))
    if options.json:
        write_json(rows, options.json)
    missed = [row.name for row in rows if row.met is False]
    if missed:
        print(f"# targets missed: {len(missed)}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
