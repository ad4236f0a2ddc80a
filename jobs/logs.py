"""Log line formats: readable text, or one JSON object a line carrying the `extra=` context.

cli/logging_setup.py installs them (`--log-format`, `--json`).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else came from `extra=` and is context.
STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{_time(record)} {record.levelname} {record.getMessage()}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {"time": _time(record), "level": record.levelname,
                                    "logger": record.name, "message": record.getMessage()}
        document.update({k: v for k, v in vars(record).items() if k not in STANDARD})
        return json.dumps(document, default=str)

