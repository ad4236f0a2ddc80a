"""The one table the run prints, and the JSON file of the same rows."""

from __future__ import annotations

import json
from pathlib import Path

from tests.benchmarks.harness import Row, as_dicts


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(rows: list[Row]) -> str:
    """A Markdown table, so the same text goes into the README unchanged."""
    header = ["measurement", "backend", "value", "unit", "baseline", "ratio", "target", "met"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        met = "-" if row.met is None else ("yes" if row.met else "**MISSED**")
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        cells = [row.name, row.backend, number(row.value), row.unit, number(row.baseline),
                 ratio, row.target or "-", met]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(rows: list[Row], path: Path) -> None:
    """A JSON array of the rows, each an object with the fields of harness.FIELDS."""
    path.write_text(json.dumps(as_dicts(rows), indent=2) + "\n", encoding="utf-8")
