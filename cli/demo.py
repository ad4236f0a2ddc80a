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


def _open_the_pages(keep: Path | None) -> str:
    """How to see the demo's data in Seller Center and the TikTok app."""
    if keep is None:
        return ("\n\nTo open Seller Center and the TikTok app on this data, keep it: "
                "shoplink demo --keep DIR (it then says how).")
    db = f"shoplink --db sqlite:///{keep / 'demo.db'}"
    return (f"\n\nThe database is kept: {db} link list\n"
            "Open the pages on it (the pages use the real clock, so the demo's days are past):\n"
            f"  {db} token issue --shop 1          # the shop's seller token, shown once\n"
            f"  {db} token issue --account fay     # an account token (fay was invited last)\n"
            f"  {db} serve\n"
            "then sign in with a token at http://127.0.0.1:8080/seller/login (Seller Center) "
            "or http://127.0.0.1:8080/app/login (the TikTok app).")


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
    footer = _open_the_pages(keep)
    emit(app, moments, lambda m: "Shop 'Sunny Socks' on a simulated clock (three days "
         "in a second), through the real service layer:\n\n" + _timeline(m) + footer)
