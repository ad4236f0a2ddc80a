"""The `shoplink` command: global options, command groups, and the one place errors map to exits."""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any

import click

from shoplink.cli import logging_setup
from shoplink.cli.app import App, pause_collector
from shoplink.cli.output import error
from shoplink.workflows.errors import Refused, ShoplinkError

# Each command's module is imported only when that command runs, so `shoplink --help` and
# every command load only what they use. The summaries are what `--help` lists; a test
# keeps them equal to each command's own docstring.
COMMANDS: dict[str, tuple[str, str]] = {
    "account": ("accounts:account", "The directory of TikTok accounts."),
    "audit": ("changes:audit", "Changes of shops and accounts, newest first: who, when, each "
                               "field from and to."),
    "daemon": ("jobs:daemon", "Run the scheduler: links move on time, until SIGTERM or SIGINT."),
    "db": ("database:db", "Manage the database schema."),
    "demo": ("demo:demo", "Walk one shop through the workflow on a simulated clock and print "
                          "the timeline."),
    "events": ("events:events", "Print link, shop and account events from the outbox, oldest "
                                "first (--json: one JSON object per line)."),
    "jobs": ("jobs:jobs", "Timer transitions, run once (see also `shoplink daemon`)."),
    "link": ("links:link", "Links between a shop and an account."),
    "marketing": ("links:marketing", "The Marketing accounts tab: links holding one of the "
                                     "shop's slots."),
    "official": ("official:official", "The shop's official account."),
    "prune": ("changes:prune", "Remove outbox events every reader has passed, and "
                               "idempotency records, older than DURATION; never history, "
                               "links or the audit log."),
    "product": ("products:product", "A shop's products: what showcases and the shop page show."),
    "serve": ("serve:serve", "Serve the JSON API (OpenAPI at /openapi.json) and the pages "
                             "(/seller/, /app/)."),
    "shop": ("shops:shop", "Shops."),
    "showcase": ("showcase:showcase", "A marketing link's showcase (while the link is linked "
                                      "or unlinkable)."),
    "status": ("status:status", "Database, schema, links per state, backlog, next deadline, "
                                "daemons."),
    "token": ("tokens:token", "API tokens of sellers and accounts."),
    "webhook": ("webhooks:webhook", "Webhook endpoints: outbox events pushed to the apps, "
                                    "signed and retried."),
    "workflow": ("workflow:workflow", "The link workflow."),
}


class ShoplinkGroup(click.Group):
    """Turns every failure into one line (or an error document) and the spec's exit code;
    loads each command's module only when it runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in COMMANDS:
            module, _, attribute = COMMANDS[name][0].partition(":")
            command = getattr(importlib.import_module(f"shoplink.cli.{module}"), attribute)
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the summaries, importing no command module."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.commands or name not in COMMANDS:
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                summary = click.Command(name, help=COMMANDS[name][1])  # not imported: its text
                rows.append((name, summary.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
        import traceback

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



def main() -> None:
    # Until the command opens its database (App.engine), it only imports: no collection.
    pause_collector()
    try:
        cli(prog_name="shoplink")
    finally:
        # The command is done and the process ends here. Hide every object from the
        # garbage collector first: at exit it would otherwise traverse all of SQLAlchemy's
        # and the models' objects looking for cycles, about a fifth of a database command's
        # wall time (docs/performance.md). Only the console script does this: commands run
        # in-process (tests, the demo) keep their collector as it is.
        gc.freeze()


if __name__ == "__main__":
    main()
