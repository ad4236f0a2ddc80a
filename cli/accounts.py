"""`shoplink account`: the account directory."""

from __future__ import annotations

from pathlib import Path

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, table

ACCOUNT_COLUMNS = ("username", "nickname", "email", "region", "status")
LIMIT = click.IntRange(1, 10_000)  # a bigger LIMIT overflows the database's integer


@click.group()
def account() -> None:
    """The directory of TikTok accounts."""


@account.command("add")
@click.argument("username")
@click.option("--nickname", metavar="T")
@click.option("--email", metavar="E")
@click.option("--region", metavar="R", help="ISO 3166 alpha-2 code (default US).")
@click.option("--birth-date", metavar="YYYY-MM-DD")
@click.option("--status", metavar="S", help="active (default), banned or deactivated.")
@click.option("--identity-verified/--no-identity-verified", default=True, show_default=True,
              help="Whether the account passed TikTok's identity verification.")
@click.pass_obj
def add(app: App, username: str, **options: str | bool | None) -> None:
    """Add an account to the directory."""
    from shoplink.workflows.accounts import add_account

    view = add_account(app.uow(), {"username": username, **options}, app.now())
    emit(app, view, lambda v: f"account @{v['username']} added")


@account.command()
@click.argument("username", metavar="ACCOUNT")
@click.option("--nickname", metavar="T", help="Must keep matching if it is an official account.")
@click.option("--email", metavar="E", help="An empty value clears it.")
@click.option("--region", metavar="R", help="ISO 3166 alpha-2; refused while links hold slots.")
@click.option("--status", metavar="S", help="active, banned or deactivated (links are kept).")
@click.option("--birth-date", metavar="YYYY-MM-DD", help="An empty value clears it.")
@click.option("--identity-verified/--no-identity-verified", default=None,
              help="Whether the account passed TikTok's identity verification.")
@click.pass_obj
def update(app: App, username: str, **options: str | bool | None) -> None:
    """Change an account in the directory; the username cannot change."""
    from shoplink.workflows.accounts import update_account

    view = update_account(app.uow(), username, options, app.now())
    emit(app, view, lambda v: f"account @{v['username']}: "
                              + (f"changed {', '.join(v['changed'])}" if v["changed"]
                                 else "nothing changed"))


@account.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
def import_(app: App, file: Path) -> None:
    """Add or update accounts from CSV or JSON Lines; a bad line writes nothing."""
    from shoplink.workflows.accounts import import_accounts

    counts = import_accounts(app.uow(), file, app.now())
    emit(app, counts, lambda c: f"{c['added']} added, {c['updated']} updated")


@account.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, metavar="N", type=LIMIT)
@click.pass_obj
def search(app: App, query: str, limit: int) -> None:
    """Accounts whose username or nickname matches: exact first, then prefix."""
    from shoplink.workflows.accounts import search_accounts

    rows = search_accounts(app.uow(read=True), query, limit)
    emit(app, rows, lambda r: table(r, ACCOUNT_COLUMNS, "no matching accounts"))
