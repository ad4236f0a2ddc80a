"""The `shoplink` command: global options, command groups, and the one place errors map to exits."""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from shoplink.cli import accounts, changes, database, links, logging_setup, official, shops
from shoplink.cli import events as events_commands
from shoplink.cli import jobs as jobs_commands
from shoplink.cli import products as product_commands
from shoplink.cli import showcase as showcase_commands
from shoplink.cli import status as status_commands
from shoplink.cli import workflow as workflow_commands
from shoplink.cli.app import App
from shoplink.cli.demo import demo as demo_command
from shoplink.cli.output import error
from shoplink.cli.serve import serve as serve_command
from shoplink.cli.tokens import token as token_commands
from shoplink.workflows.errors import Refused, ShoplinkError


class ShoplinkGroup(click.Group):
    """Turns every failure into one line (or an error document) and the spec's exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # The global options themselves may not parse: --json is not known yet, so look.
        wants_json = "--json" in args
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as failure:
            if not wants_json:
                raise
            error(App(json=True), "bad_input", failure.format_message())
            ctx.exit(failure.exit_code)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except click.ClickException as failure:
            if not _app(ctx).json:
                raise
            code = "bad_input" if failure.exit_code == 2 else "internal"
            error(_app(ctx), code, failure.format_message())
            ctx.exit(failure.exit_code)
        except ShoplinkError as failure:
            _report_domain_error(ctx, failure)
        except Exception as failure:  # noqa: BLE001 - the edge: no traceback unless --debug
            _report_unexpected(ctx, failure)


def _app(ctx: click.Context) -> App:
    """The command's App, or one built from the parsed global options if it failed earlier."""
    if isinstance(ctx.obj, App):
        return ctx.obj
    params = ctx.params
    return App(db=params.get("db"), json=bool(params.get("as_json")),
               debug=bool(params.get("debug")))


def _report_domain_error(ctx: click.Context, failure: ShoplinkError) -> None:
    extra: dict[str, Any] = {}
    if isinstance(failure, Refused):
        if len(failure.violations) > 1:
            extra["rules"] = [v.as_dict() for v in failure.violations]
        if failure.link is not None:
            extra["link"] = failure.link
    error(_app(ctx), failure.code, failure.message, extra,
          readable_times=isinstance(failure, Refused))
    ctx.exit(failure.exit_code)


def _report_unexpected(ctx: click.Context, failure: Exception) -> None:
    app = _app(ctx)
    if app.debug:
        traceback.print_exc(file=sys.stderr)
    message = _without_password(_describe(failure, app), app)
    hint = "" if app.debug else " (run with --debug for details)"
    error(app, "internal", message + hint)
    ctx.exit(1)


def _without_password(message: str, app: App) -> str:
    """Belt and braces: whatever a driver says, the URL's password never reaches the screen."""
    from sqlalchemy.engine import make_url

    try:
        password = make_url(app.url()).password
    except Exception:  # noqa: BLE001 - an unparsable URL has no password to hide
        return message
    return message.replace(str(password), "***") if password else message


def _describe(failure: Exception, app: App) -> str:
    from sqlalchemy.exc import DBAPIError, OperationalError

    from shoplink.workflows.db import redact

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
@logging_setup.FORMAT_OPTION
@logging_setup.LEVEL_OPTION
@click.version_option(package_name="shoplink", prog_name="shoplink")
@click.pass_context
def cli(ctx: click.Context, db: str | None, as_json: bool, debug: bool, log_format: str | None,
        log_level: str | None) -> None:
    """Link TikTok accounts to a TikTok Shop as marketing accounts."""
    app = App(db=db, json=as_json, debug=debug, log_format=log_format, log_level=log_level)
    if isinstance(ctx.obj, App):  # the demo and tests hand in their clock
        app.clock = ctx.obj.clock
    ctx.obj = app
    logging_setup.configure(ctx.obj)
    ctx.call_on_close(ctx.obj.close)


cli.add_command(database.db)
cli.add_command(shops.shop)
cli.add_command(accounts.account)
cli.add_command(official.official)
cli.add_command(links.link)
cli.add_command(links.marketing)
cli.add_command(serve_command)
cli.add_command(token_commands)
cli.add_command(jobs_commands.jobs)
cli.add_command(jobs_commands.daemon)
cli.add_command(demo_command)
cli.add_command(workflow_commands.workflow)
cli.add_command(events_commands.events)
cli.add_command(status_commands.status)
cli.add_command(product_commands.product)
cli.add_command(showcase_commands.showcase)
cli.add_command(changes.audit)
cli.add_command(changes.prune)


def main() -> None:
    cli(prog_name="shoplink")
