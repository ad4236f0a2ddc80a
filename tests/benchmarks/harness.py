"""What every measurement shares: the row it reports, the sizes of a run, timing helpers.

A row is one figure: `value` in `unit`, and where a side-by-side baseline was measured
in the same run, `baseline` (same unit) and `ratio` = value / baseline. `target` says
what the figure should reach and `met` whether it did (None where there is no target).
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from tests.benchmarks.databases import Databases

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ("name", "backend", "value", "unit", "baseline", "ratio", "target", "met")


@dataclass
class Row:
    name: str
    backend: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None

    @classmethod
    def compare(cls, name: str, backend: str, value: float, baseline: float, unit: str, *,
                most: float | None = None, least: float | None = None) -> Row:
        """A figure against its baseline; the target bounds the ratio (`most` or `least`)."""
        ratio = value / baseline if baseline else float("inf")
        row = cls(name, backend, value, unit, baseline, ratio)
        if most is not None:
            row.target, row.met = f"ratio <= {most:g}", ratio <= most
        if least is not None:
            row.target, row.met = f"ratio >= {least:g}", ratio >= least
        return row

    @classmethod
    def absolute(cls, name: str, backend: str, value: float, unit: str, *,
                 below: float | None = None, at_least: float | None = None) -> Row:
        """A figure with no baseline, only (perhaps) a bound on its value."""
        row = cls(name, backend, value, unit)
        if below is not None:
            row.target, row.met = f"< {below:g} {unit}", value < below
        if at_least is not None:
            row.target, row.met = f">= {at_least:g} {unit}", value >= at_least
        return row


@dataclass
class Sizes:
    """How much work each measurement does: `full`, `quick` (< 60 s) or `tiny` (the smoke test)."""

    sweep_rows: int
    peer_deadlines: int
    lateness_deadlines: int
    lateness_spread: float
    scale_due: int
    scale_backlog: int
    memory_rows: int
    workflow_links: int
    workflow_workers: int
    search_accounts: int
    search_queries: int
    startup_runs: int
    repeats: int
    load_seconds: float
    load_clients: tuple[int, ...]
    # Seconds between writing deadlines and the first of them, for the daemons: two let the
    # one-second look-ahead see the first in time; less only makes it late, never missed.
    lead: float = 2.0

    @classmethod
    def named(cls, name: str) -> Sizes:
        return {
            "full": cls(100_000, 10_000, 1_000, 10.0, 10_000, 1_000_000, 100_000, 1_000, 8,
                        1_000_000, 1_000, 10, 3, 20.0, (50, 5)),
            "quick": cls(20_000, 500, 300, 5.0, 2_000, 100_000, 20_000, 200, 8,
                         100_000, 300, 3, 2, 5.0, (50, 5)),
            "tiny": cls(400, 40, 20, 0.2, 100, 1_000, 400, 16, 2, 1_000, 20, 1, 1, 0.3, (4,),
                        lead=1.0),
        }[name]


@dataclass
class Context:
    """One run on one backend: its databases, sizes and the rows found so far."""

    databases: Databases
    sizes: Sizes
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        return self.databases.backend


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    """The `share` quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def median(values: list[float]) -> float:
    return statistics.median(values)


def in_subprocess(task: str, *args: str, timeout: float = 900) -> dict:
    """Run `tests.benchmarks.child TASK ARGS` and return its JSON (it reports peak RSS)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.child", task, *args],
        capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {task} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def as_dicts(rows: list[Row]) -> list[dict]:
    return [asdict(row) for row in rows]


def stamp() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
