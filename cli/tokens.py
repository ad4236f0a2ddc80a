"""`shoplink token`: bearer tokens for the HTTP API (the secret is shown once)."""

from __future__ import annotations

import click

from shoplink.cli.app import App
from shoplink.cli.output import emit, table, when

TOKEN_COLUMNS = ("id", "principal", "created_at", "last_used_at", "revoked_at", "expires_at")


@click.group()
def token() -> None:
    """API tokens of sellers and accounts."""


@token.command()
@click.option("--shop", "shop_ref", metavar="SHOP", help="A token for the seller of this shop.")
@click.option("--account", "username", metavar="ACCOUNT", help="A token for this account.")
@click.option("--expires-in", metavar="DURATION",
              help="Refuse the token after this long: 30m, 12h, 90d (default: never).")
@click.pass_obj
def issue(app: App, shop_ref: str | None, username: str | None,
          expires_in: str | None) -> None:
    """Issue a token; it is printed once and only its hash is kept."""
    from shoplink.workflows.tokens import issue_token

    view = issue_token(app.uow(), app.now(), shop_ref=shop_ref, username=username,
                       expires_in=expires_in)

    def human(v: dict) -> str:
        expiry = f", expires {when(v['expires_at'])}" if v["expires_at"] else ""
        return f"token {v['id']} for {v['principal']}{expiry} (shown once, keep it " \
               f"secret):\n{v['token']}"

    emit(app, view, human)


@token.command()
@click.argument("token_id", metavar="TOKEN_ID")
@click.pass_obj
def revoke(app: App, token_id: str) -> None:
    """Revoke a token (its id, or the whole token): it is refused from the next request on."""
    from shoplink.workflows.tokens import revoke_token

    view = revoke_token(app.uow(), token_id, app.now())
    emit(app, view, lambda v: f"token {v['id']} of {v['principal']} revoked at "
                              f"{when(v['revoked_at'])}")


@token.command("list")
@click.pass_obj
def list_(app: App) -> None:
    """Token ids, principals, when created, last used, revoked and expiring; never the tokens."""
    from shoplink.workflows.tokens import list_tokens

    emit(app, list_tokens(app.uow(read=True)), lambda rows: table(rows, TOKEN_COLUMNS, "no tokens"))
