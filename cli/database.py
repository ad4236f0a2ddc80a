"""`shoplink db`: the schema."""

from __future__ import annotations

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command()
@click.pass_obj
def upgrade(app: App) -> None:
    """Migrate the database to the newest schema."""
    from shoplink.workflows.db import redact
    from shoplink.workflows.schema import upgrade as run_upgrade

    before, after = run_upgrade(app.engine(check_schema=False))
    where = redact(app.url())
    emit(app, {"database": where, "from": before, "to": after},
         f"{where}: already at {after}" if before == after
         else f"{where}: upgraded from {before or 'empty'} to {after}")
