"""`shoplink shop`: add, list and show shops."""

from __future__ import annotations

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, fields, table, when

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
    from shoplink.workflows.shops import add_shop

    view = add_shop(app.uow(), name, app.now(), region=region, probation_until=probation_until)
    probation = (f", in probation until {when(view['probation_ends_at'])}"
                 if view["probation_ends_at"] else "")
    emit(app, view, f"shop {view['id']} {view['name']!r} added ({view['region']}{probation})")


@shop.command()
@click.argument("shop_ref", metavar="SHOP")
@click.option("--name", metavar="N", help="A new name; the official account's nickname follows.")
@click.option("--region", metavar="R", help="ISO 3166 alpha-2; refused while links hold slots.")
@click.option("--probation-until", metavar="ISO8601", help="A new end of probation.")
@click.option("--no-probation", is_flag=True, help="End the probation now (clear it).")
@click.pass_obj
def update(app: App, shop_ref: str, name: str | None, region: str | None,
           probation_until: str | None, no_probation: bool) -> None:
    """Rename a shop, move it to another region or change its probation."""
    from shoplink.workflows.shops import update_shop

    view = update_shop(app.uow(), shop_ref, app.now(), name=name, region=region,
                       probation_until=probation_until, no_probation=no_probation)
    emit(app, view, lambda v: f"shop {v['id']} {v['name']!r}: "
                              + (f"changed {', '.join(v['changed'])}" if v["changed"]
                                 else "nothing changed"))


@shop.command("list")
@click.pass_obj
def list_(app: App) -> None:
    """List shops."""
    from shoplink.workflows.shops import list_shops

    emit(app, list_shops(app.uow(read=True)), lambda rows: table(rows, SHOP_COLUMNS, "no shops"))


@shop.command()
@click.argument("shop_ref", metavar="SHOP")
@click.pass_obj
def show(app: App, shop_ref: str) -> None:
    """One shop with its official account and link counts."""
    from shoplink.workflows.shops import show_shop

    emit(app, show_shop(app.uow(read=True), shop_ref, app.now()), describe)


def describe(view: dict) -> str:
    """`shop show` for people: the numbers a seller asks about, one per line."""
    states = view.get("links_by_state") or {}
    window = f"{view['links_in_180_days']} of {view['link_change_limit']}"
    if view.get("next_window_release"):
        window += f" (next frees up {when(view['next_window_release'])})"
    probation = "none"
    if view["probation_ends_at"]:
        verb = "until" if view["in_probation"] else "ended"
        probation = f"{verb} {when(view['probation_ends_at'])}"
    official = view["official_account"]
    return fields({
        "shop": f"{view['id']} {view['name']!r} ({view['region']})",
        "probation": probation,
        "official account": f"@{official}" if official else "none",
        "marketing accounts": f"{view['marketing_accounts']} of "
                              f"{view['marketing_account_limit']}",
        f"links in {view['window_days']} days": window,
        "links by state": ", ".join(f"{k} {v}" for k, v in sorted(states.items())) or "none",
    })
