"""The `shoplink` command: global options, command groups, and the one place errors map to exits."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from cli import accounts, database, links, official, shops
from cli import workflow as workflow_commands
from cli.app import App
from cli.output import error
from workflows.errors import Refused, ShoplinkError


class ShoplinkGroup(click.Group):
    """Turns every failure into one line (or an error document) and the spec's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.UsageError as failure:
            if not _app(ctx).json:
                raise
            error(_app(ctx), "bad_input", failure.format_message())
            ctx.exit(2)
        except ShoplinkError as failure:
            _report_domain_error(ctx, failure)
        except Exception as failure:  # noqa: BLE001 - the edge: no traceback unless --debug
            _report_unexpected(ctx, failure)


def _app(ctx: click.Context) -> App:
    return ctx.obj if isinstance(ctx.obj, App) else App()


def _report_domain_error(ctx: click.Context, failure: ShoplinkError) -> None:
    extra: dict[str, Any] = {}
    if isinstance(failure, Refused):
        if len(failure.violations) > 1:
            extra["rules"] = [v.as_dict() for v in failure.violations]
        if failure.link is not None:
            extra["link"] = failure.link
    error(_app(ctx), failure.code, failure.message, extra)
    ctx.exit(failure.exit_code)


def _report_unexpected(ctx: click.Context, failure: Exception) -> None:
    app = _app(ctx)
    if app.debug:
        traceback.print_exc(file=sys.stderr)
    message = _describe(failure, app)
    error(app, "internal", message)
    ctx.exit(1)


def _describe(failure: Exception, app: App) -> str:
    from sqlalchemy.exc import DBAPIError, OperationalError

    from workflows.db import redact

    if isinstance(failure, OperationalError):
        reason = str(failure.orig).strip().splitlines()[0] if failure.orig else ""
        return f"cannot use the database at {redact(app.url())}: {reason}"
    if isinstance(failure, DBAPIError):
        return f"the database refused the change ({type(failure.orig).__name__})"
    return f"unexpected failure: {type(failure).__name__}"


@click.group(cls=ShoplinkGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="URL", help="Database URL (default: $SHOPLINK_DATABASE_URL, "
              "else sqlite:///shoplink.db).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--debug", is_flag=True, help="Show tracebacks of unexpected failures.")
@click.version_option(package_name="shoplink", prog_name="shoplink")
@click.pass_context
def cli(ctx: click.Context, db: str | None, as_json: bool, debug: bool) -> None:
    """Link TikTok accounts to a TikTok Shop as marketing accounts."""
    clock = ctx.obj.clock if isinstance(ctx.obj, App) else None
    ctx.obj = App(db=db, json=as_json, debug=debug, **({"clock": clock} if clock else {}))
    ctx.call_on_close(ctx.obj.close)


cli.add_command(database.db)
cli.add_command(shops.shop)
cli.add_command(accounts.account)
cli.add_command(official.official)
cli.add_command(links.link)
cli.add_command(links.marketing)
cli.add_command(workflow_commands.workflow)


def main() -> None:
    cli(prog_name="shoplink")
