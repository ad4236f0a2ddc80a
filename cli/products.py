"""`shoplink product`: a shop's catalogue."""

from __future__ import annotations

from pathlib import Path

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, table

PRODUCT_COLUMNS = ("sku", "title", "price", "status", "updated_at")
STATUS = click.Choice(["active", "inactive"], case_sensitive=False)


def one_line(view: dict) -> str:
    price = f", {view['price']}" if view["price"] is not None else ""
    return f"product {view['sku']} of {view['shop']!r}: {view['title']}{price} ({view['status']})"


@click.group()
def product() -> None:
    """A shop's products: what showcases and the shop page show."""


@product.command("add")
@click.argument("shop_ref", metavar="SHOP")
@click.argument("sku")
@click.option("--title", required=True, metavar="T")
@click.option("--price", metavar="AMOUNT", help="Such as 12.50; at most 2 decimal places.")
@click.option("--status", type=STATUS, help="active (default) or inactive.")
@click.pass_obj
def add(app: App, shop_ref: str, sku: str, title: str, price: str | None,
        status: str | None) -> None:
    """Add a product to the shop's catalogue; a SKU is unique within its shop."""
    from shoplink.workflows.products import add_product

    view = add_product(app.uow(), shop_ref, sku, app.now(), title=title, price=price,
                       status=status)
    emit(app, view, lambda v: "added " + one_line(v))


@product.command("update")
@click.argument("shop_ref", metavar="SHOP")
@click.argument("sku")
@click.option("--title", metavar="T")
@click.option("--price", metavar="AMOUNT", help="Such as 12.50; at most 2 decimal places.")
@click.option("--status", type=STATUS, help="inactive takes it off the shop page.")
@click.pass_obj
def update(app: App, shop_ref: str, sku: str, **fields: str | None) -> None:
    """Change a product's title, price or status."""
    from shoplink.workflows.products import update_product

    view = update_product(app.uow(), shop_ref, sku, app.now(), **fields)
    emit(app, view, lambda v: "updated " + one_line(v))


@product.command("import")
@click.argument("shop_ref", metavar="SHOP")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
def import_(app: App, shop_ref: str, file: Path) -> None:
    """Add or update products from CSV or JSON Lines (sku, title, price, status).

    All or nothing: a bad line writes nothing and the error names it.
    """
    from shoplink.workflows.products import import_products

    counts = import_products(app.uow(), shop_ref, file, app.now())
    emit(app, counts, lambda c: f"{c['added']} added, {c['updated']} updated")


@product.command("list")
@click.argument("shop_ref", metavar="SHOP")
@click.option("--status", type=STATUS, help="Only active or only inactive products.")
@click.pass_obj
def list_(app: App, shop_ref: str, status: str | None) -> None:
    """The shop's products, by SKU."""
    from shoplink.workflows.products import list_products

    rows = list_products(app.uow(read=True), shop_ref, status=status)
    emit(app, rows, lambda r: table(r, PRODUCT_COLUMNS, "no products"))
