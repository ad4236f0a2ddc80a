"""`shoplink shop`: add, list and show shops."""

from __future__ import annotations

import click

from cli.app import App
from cli.output import emit, fields, table

SHOP_COLUMNS = ("id", "name", "region", "probation_ends_at", "official_account")


@click.group()
def shop() -> None:
    """Shops."""


@shop.command("add")
@click.argument("name")
@click.option("--region", metavar="R", help="ISO 3166 alpha-2 code (default US).")
@click.option("--probation-until", metavar="ISO8601", help="End of the shop's probation.")
@click.pass_obj
def add(app: App, name: str, region: str | None, probation_until: str | None) -> None:
    """Create a shop."""
    from workflows.shops import add_shop

    view = add_shop(app.uow(), name, app.now(), region=region, probation_until=probation_until)
    emit(app, view, lambda v: f"shop {v['id']} {v['name']!r} added ({v['region']})")


@shop.command("list")
@click.pass_obj
def list_(app: App) -> None:
    """List shops."""
    from workflows.shops import list_shops

    emit(app, list_shops(app.uow()), lambda rows: table(rows, SHOP_COLUMNS, "no shops"))


@shop.command()
@click.argument("shop_ref", metavar="SHOP")
@click.pass_obj
def show(app: App, shop_ref: str) -> None:
    """One shop with its official account and link counts."""
    from workflows.shops import show_shop

    emit(app, show_shop(app.uow(), shop_ref, app.now()), fields)
