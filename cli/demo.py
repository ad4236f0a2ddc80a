"""`shoplink demo`: the whole link workflow in a second, on a throwaway database."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from shoplink.cli.app import App
from shoplink.cli.output import ISO_UTC, emit, table, when

COLUMNS = ("time (UTC)", "actor", "event", "result")


def _timeline(moments: list[dict]) -> str:
    rows = [{**m, "time (UTC)": m["at"][:16].replace("T", " "),
             "result": ISO_UTC.sub(lambda t: when(t[0]), m["result"])} for m in moments]
    return table(rows, COLUMNS)


@click.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Keep the demo database in DIR (created; must not hold one already).")
@click.pass_obj
def demo(app: App, keep: Path | None) -> None:
    """Walk one shop through the workflow on a simulated clock and print the timeline.

    The demo always uses its own SQLite file; --db and SHOPLINK_DATABASE_URL are not used.
    """
    from shoplink.workflows.demo import run
    from shoplink.workflows.errors import BadInput

    if keep is None:
        with tempfile.TemporaryDirectory(prefix="shoplink-demo-") as workdir:
            moments = run(Path(workdir))
    else:
        if (keep / "demo.db").exists():
            raise BadInput(f"{keep / 'demo.db'} already exists: choose an empty directory")
        keep.mkdir(parents=True, exist_ok=True)
        moments = run(keep)
    footer = ("" if keep is None else
              f"\n\nThe database is kept: shoplink --db sqlite:///{keep / 'demo.db'} link list")
    emit(app, moments, lambda m: "Shop 'Sunny Socks' on a simulated clock (three days "
         "in a second), through the real service layer:\n\n" + _timeline(m) + footer)
