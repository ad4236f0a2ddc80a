"""`shoplink showcase`: the products a marketing account shows for its shop."""

from __future__ import annotations

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, table

ITEM_COLUMNS = ("sku", "title", "price", "status", "added_at")


def describe(view: dict) -> str:
    """A line on what changed, if anything, then the showcase as a table."""
    head = f"showcase of link {view['link']} (@{view['account']} for {view['shop']!r}, " \
           f"{view['state']})"
    for key in ("added", "removed"):
        if key in view:
            head = f"{key} {', '.join(view[key]) or 'nothing new'}\n" + head
    return head + ":\n" + table(view["items"], ITEM_COLUMNS, "empty")


@click.group()
def showcase() -> None:
    """A marketing link's showcase (while the link is linked or unlinkable)."""


@showcase.command("add")
@click.argument("link_id", metavar="LINK")
@click.argument("skus", metavar="SKU...", nargs=-1, required=True)
@click.pass_obj
def add(app: App, link_id: str, skus: tuple[str, ...]) -> None:
    """Put active products of the link's shop on show.

    A product already on show is left as it is: adding it again is not an error.
    """
    from shoplink.workflows.showcase import add_to_showcase

    emit(app, add_to_showcase(app.uow(), link_id, list(skus), app.now()), describe)


@showcase.command("remove")
@click.argument("link_id", metavar="LINK")
@click.argument("skus", metavar="SKU...", nargs=-1, required=True)
@click.pass_obj
def remove(app: App, link_id: str, skus: tuple[str, ...]) -> None:
    """Take products off show."""
    from shoplink.workflows.showcase import remove_from_showcase

    emit(app, remove_from_showcase(app.uow(), link_id, list(skus), app.now()), describe)


@showcase.command("list")
@click.argument("link_id", metavar="LINK")
@click.pass_obj
def list_(app: App, link_id: str) -> None:
    """The products on show, in the order they were added."""
    from shoplink.workflows.showcase import show_showcase

    emit(app, show_showcase(app.uow(read=True), link_id, app.now()), describe)
