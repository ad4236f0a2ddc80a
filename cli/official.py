"""`shoplink official`: a shop's one official account."""

from __future__ import annotations

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, table


@click.group()
def official() -> None:
    """The shop's official account."""


@official.command("set")
@click.argument("shop_ref", metavar="SHOP")
@click.argument("username", metavar="ACCOUNT")
@click.pass_obj
def set_(app: App, shop_ref: str, username: str) -> None:
    """Set the official account of a shop."""
    from shoplink.workflows.shops import set_official

    view = set_official(app.uow(), shop_ref, username, app.now())
    emit(app, view,
         lambda v: f"@{v['official_account']} is the official account of {v['name']!r}")


@official.command()
@click.argument("shop_ref", metavar="SHOP")
@click.pass_obj
def unset(app: App, shop_ref: str) -> None:
    """Leave the shop without an official account."""
    from shoplink.workflows.shops import unset_official

    view = unset_official(app.uow(), shop_ref, app.now())
    emit(app, view, lambda v: f"shop {v['name']!r} has no official account")


@official.command()
@click.argument("shop_ref", metavar="SHOP")
@click.pass_obj
def show(app: App, shop_ref: str) -> None:
    """Show the official account of a shop and its shop page (the active products)."""
    from shoplink.workflows.shops import show_official

    def human(view: dict) -> str:
        account = view["official_account"]
        if account is None:
            text = f"shop {view['shop']['name']!r} has no official account"
        else:
            text = (f"@{account['username']} ({account['nickname']}) is the official account "
                    f"of {view['shop']['name']!r}")
        count = len(view["shop_page"])
        page = table(view["shop_page"], ("sku", "title", "price"), "no active products")
        return f"{text}\n\nshop page, {count} active product{'' if count == 1 else 's'}:\n{page}"

    emit(app, show_official(app.uow(read=True), shop_ref), human)
