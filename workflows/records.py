"""Reading import files: CSV or JSON Lines, each record with the line it came from."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from shoplink.workflows.errors import BadInput


def read_rows(path: Path, key: str = "username") -> list[tuple[int, dict[str, Any]]]:
    """(line number, fields) for each record of a CSV or JSON Lines file.

    A CSV header must name the `key` column, so a wrong file fails on line 1.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}") from None
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    text = _decoded(data.removeprefix(b"\xef\xbb\xbf"))
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith("{"):
        return _json_lines(text)
    return _csv_rows(text, key)


def _decoded(data: bytes) -> str:
    """The file as UTF-8 text; a byte that is not UTF-8 is bad input naming its line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise BadInput(f"line {line}: not UTF-8 (byte {data[error.start]:#04x} at column "
                       f"{column})") from None


def _json_lines(text: str) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadInput(f"line {number}: not valid JSON ({error.msg})") from None
        except RecursionError:
            raise BadInput(f"line {number}: JSON nested too deep") from None
        if not isinstance(record, dict):
            raise BadInput(f"line {number}: expected a JSON object")
        rows.append((number, record))
    return rows


def _csv_rows(text: str, key: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    try:
        if not reader.fieldnames or key not in reader.fieldnames:
            raise BadInput(f"line 1: the CSV header must name a {key} column")
        rows = []
        for record in reader:
            if None in record:
                raise BadInput(f"line {reader.line_num}: more values than header columns")
            rows.append((reader.line_num,
                         {k: (v if v != "" else None) for k, v in record.items()}))
    except csv.Error as error:  # a field over csv's size limit, a stray NUL...
        raise BadInput(f"line {reader.line_num + 1}: not valid CSV ({error})") from None
    return rows
