"""Log lines on stderr for the daemon and the commands: `--log-format` and `--log-level`.

Commands log warnings only unless asked; the daemon logs at info. At info or below,
every transition a command commits is logged with its link id, event and lateness.
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import logging

    from shoplink.cli.app import App

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
FORMAT_OPTION = click.option(
    "--log-format", type=click.Choice(FORMATS), envvar="SHOPLINK_LOG_FORMAT",
    help="Log lines on stderr as text or one JSON object a line "
         "(default: json with --json, else text; env SHOPLINK_LOG_FORMAT).")
LEVEL_OPTION = click.option(
    "--log-level", type=click.Choice(LEVELS, case_sensitive=False), envvar="SHOPLINK_LOG_LEVEL",
    help="Least severe level logged (default: warning for commands, info for the daemon; "
         "env SHOPLINK_LOG_LEVEL).")


@functools.cache
def _installed() -> type[logging.StreamHandler]:  # type: ignore[type-arg]
    """The class of our handler, made on first use: `--help` never imports logging."""
    import logging

    class _Installed(logging.StreamHandler):  # type: ignore[type-arg]
        """Our handler on whatever sys.stderr is now; configuring twice replaces it."""

        @property  # type: ignore[override]
        def stream(self):  # noqa: ANN201 - the logging module's attribute
            return sys.stderr

        @stream.setter
        def stream(self, _value: object) -> None:
            pass

    return _Installed


def _formatter(fmt: str, debug: bool) -> logging.Formatter:
    """The daemon's formatters, plus the traceback of a failure (JSON: always; text: --debug)."""
    from shoplink.jobs.logs import JsonFormatter, TextFormatter

    class Json(JsonFormatter):
        def format(self, record: logging.LogRecord) -> str:
            if record.exc_info and not hasattr(record, "exception"):
                record.exception = self.formatException(record.exc_info)
            return super().format(record)

    class Text(TextFormatter):
        def format(self, record: logging.LogRecord) -> str:
            line = super().format(record)
            if record.exc_info and debug:
                return line + "\n" + self.formatException(record.exc_info)
            if record.exc_info and record.exc_info[1] is not None:
                failure = record.exc_info[1]
                first = (str(failure).splitlines() or [""])[0]
                return f"{line}: {type(failure).__name__}: {first}"
            return line

    return Json() if fmt == "json" else Text()


def configure(app: App, *, default_level: str = "warning") -> None:
    import logging

    fmt = app.log_format or ("json" if app.json else "text")
    level = getattr(logging, (app.log_level or ("debug" if app.debug else default_level)).upper())
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _installed())]:
        root.removeHandler(handler)
    handler = _installed()()
    handler.setFormatter(_formatter(fmt, app.debug))
    handler.setLevel(level)  # loggers set lower on purpose (metrics) stay quiet here
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING)
                                              if level > logging.DEBUG else logging.DEBUG)
    if level <= logging.INFO:
        from shoplink.workflows.transition_log import install

        install()
