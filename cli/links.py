"""`shoplink link` and `shoplink marketing`: the link workflow by hand."""

from __future__ import annotations

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, fields, table, when

LINK_COLUMNS = ("id", "shop", "account", "state", "created_at", "expires_at", "linked_at",
                "unlockable_at")
MARKETING_COLUMNS = ("id", "account", "nickname", "email", "state", "linked_at",
                     "unlockable_at")
HISTORY_COLUMNS = ("at", "event", "from_state", "to_state", "actor", "rules")
LIMIT = click.IntRange(1, 10_000)  # a bigger LIMIT overflows the database's integer


def show_link(view: dict) -> str:
    history = [
        {**row, "rules": ", ".join(r["code"] for r in (row.get("details") or {}).get("rules", []))
         or None}
        for row in view["history"]
    ]
    return fields(view) + "\n\nhistory:\n" + table(history, HISTORY_COLUMNS)


DEADLINES = {"invited": ("expires", "expires_at"), "linked": ("unlockable from", "unlockable_at")}


def one_line(view: dict) -> str:
    text = f"link {view['id']}: @{view['account']} -> {view['shop']!r} is {view['state']}"
    if view["state"] in DEADLINES:
        label, key = DEADLINES[view["state"]]
        text += f" ({label} {when(view[key])})"
    return text


@click.group()
def link() -> None:
    """Links between a shop and an account."""


@link.command("new")
@click.argument("shop_ref", metavar="SHOP")
@click.argument("username", metavar="ACCOUNT")
@click.option("--no-invite", is_flag=True, help="Stop after verifying.")
@click.pass_obj
def new(app: App, shop_ref: str, username: str, no_invite: bool) -> None:
    """Create the link, verify it, and send the invitation."""
    from shoplink.workflows.links import new_link

    view = new_link(app.uow(), shop_ref, username, app.now(), invite=not no_invite,
                    ttl=app.invitation_ttl())
    emit(app, view, one_line)


@link.command()
@click.argument("link_id", metavar="LINK")
@click.pass_obj
def invite(app: App, link_id: str) -> None:
    """Send the invitation for a verified link."""
    from shoplink.workflows.links import invite_link

    emit(app, invite_link(app.uow(), link_id, app.now(), ttl=app.invitation_ttl()), one_line)


@link.command()
@click.argument("link_id", metavar="LINK")
@click.option("--as", "username", required=True, metavar="ACCOUNT", help="The invited account.")
@click.pass_obj
def accept(app: App, link_id: str, username: str) -> None:
    """The invited account accepts."""
    from shoplink.workflows.links import accept_link

    emit(app, accept_link(app.uow(), link_id, username, app.now()), one_line)


@link.command()
@click.argument("link_id", metavar="LINK")
@click.option("--as", "username", required=True, metavar="ACCOUNT", help="The invited account.")
@click.pass_obj
def decline(app: App, link_id: str, username: str) -> None:
    """The invited account declines."""
    from shoplink.workflows.links import decline_link

    emit(app, decline_link(app.uow(), link_id, username, app.now()), one_line)


@link.command()
@click.argument("link_id", metavar="LINK")
@click.pass_obj
def cancel(app: App, link_id: str) -> None:
    """The seller withdraws a link that is not yet accepted."""
    from shoplink.workflows.links import cancel_link

    emit(app, cancel_link(app.uow(), link_id, app.now()), one_line)


@link.command()
@click.argument("link_id", metavar="LINK")
@click.pass_obj
def unlink(app: App, link_id: str) -> None:
    """The seller ends a link (24 hours after it was linked, at the earliest)."""
    from shoplink.workflows.links import unlink_link

    emit(app, unlink_link(app.uow(), link_id, app.now()), one_line)


@link.command("show")
@click.argument("link_id", metavar="LINK")
@click.pass_obj
def show(app: App, link_id: str) -> None:
    """One link with its whole history."""
    from shoplink.workflows.links import show_link as load

    emit(app, load(app.uow(read=True), link_id, app.now()), show_link)


@link.command("list")
@click.option("--shop", "shop_ref", metavar="SHOP")
@click.option("--state", "states", multiple=True, metavar="STATE", help="Repeatable.")
@click.option("--limit", default=100, show_default=True, type=LIMIT, metavar="N")
@click.pass_obj
def list_(app: App, shop_ref: str | None, states: tuple[str, ...], limit: int) -> None:
    """Links, newest first."""
    from shoplink.workflows.links import list_links
    from shoplink.workflows.validate import positive

    rows = list_links(app.uow(read=True), app.now(), shop_ref=shop_ref, states=states,
                      limit=positive(limit, "--limit"))
    emit(app, rows, lambda r: table(r, LINK_COLUMNS, "no links"))


@click.command()
@click.argument("shop_ref", metavar="SHOP")
@click.pass_obj
def marketing(app: App, shop_ref: str) -> None:
    """The Marketing accounts tab: links holding one of the shop's slots."""
    from shoplink.workflows.marketing import marketing_accounts

    rows = marketing_accounts(app.uow(read=True), shop_ref, app.now())
    emit(app, rows, lambda r: table(r, MARKETING_COLUMNS, "no marketing accounts"))
