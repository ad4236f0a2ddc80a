"""The harness at its smallest, so it cannot rot: every row has the documented fields.

Timings are not asserted (the machine is shared); the shape of the output is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmarks.__main__ import MEASUREMENTS, main, run
from tests.benchmarks.harness import FIELDS, Sizes

pytestmark = pytest.mark.slow
# PostgreSQL runs the measurements whose SQL or loading differs by backend; the rest
# (subprocesses, the daemon, APScheduler, the load test's served workers: `shoplink
# serve` on PostgreSQL has acceptance tests of its own) is exercised on SQLite, where it
# is cheaper.
PER_BACKEND = {"sqlite": MEASUREMENTS,
               "postgresql": ("sweep", "scale", "workflow", "search", "per_request",
                              "webhooks", "pages")}
TITLES = {"sweep": "sweep", "peer": "peer:", "lateness": "lateness", "scale": "due beside",
          "workflow": "workflow:", "search": "search", "startup": "start-up", "load": "load:",
          "per_request": "one request in process:", "webhooks": "webhooks:", "pages": "pages:"}


def test_every_measurement_reports_rows_with_the_documented_fields(
        database_url: str, backend: str) -> None:
    rows = run(None if backend == "sqlite" else database_url, Sizes.named("tiny"),
               PER_BACKEND[backend], log=lambda *args, **kwargs: None)

    assert {row.backend for row in rows} == {backend}
    names = " ".join(row.name for row in rows)
    for name in PER_BACKEND[backend]:
        assert TITLES[name] in names
    for row in rows:
        assert isinstance(row.value, float | int) and row.unit
        if row.baseline is not None:
            assert row.ratio == pytest.approx(row.value / row.baseline)
        assert (row.target is None) == (row.met is None)


def test_the_json_file_holds_the_printed_rows(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "rows.json"

    code = main(["--sizes", "tiny", "--only", "search", "--json", str(target)])

    assert code == 0
    rows = json.loads(target.read_text())
    assert rows and all(tuple(row) == FIELDS for row in rows)
    assert {"name", "backend", "value", "unit", "baseline", "ratio"} <= set(rows[0])
    printed = capsys.readouterr().out
    assert all(row["name"] in printed for row in rows)

