"""`shoplink serve`: the HTTP API of SPEC section 7 under uvicorn."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from shoplink.cli.app import App

if TYPE_CHECKING:
    from shoplink.workflows.clock import Clock

FAKE_NOW_VARIABLE = "SHOPLINK_FAKE_NOW"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on.")
@click.pass_obj
def serve(app: App, host: str, port: int) -> None:
    """Serve the JSON API (OpenAPI at /openapi.json) and the pages (/seller/, /app/)."""
    from shoplink.workflows.errors import BadInput

    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401 - the pages' templates
        import python_multipart  # noqa: F401 - the pages' forms
        import uvicorn
    except ImportError:
        raise BadInput("the HTTP API needs FastAPI and uvicorn: "
                       "pip install 'shoplink[api]'") from None
    from shoplink.api.app import create_app

    clock = _fake_clock() or app.clock
    application = create_app(app.engine(), clock=clock, ttl=app.invitation_ttl())
    uvicorn.run(application, host=host, port=port, log_level="info", access_log=True,
                server_header=False)


def _fake_clock() -> Clock | None:
    """A frozen clock from SHOPLINK_FAKE_NOW, for tests and demos; unset, the real clock."""
    raw = os.environ.get(FAKE_NOW_VARIABLE)
    if not raw:
        return None
    from shoplink.workflows.errors import BadInput
    from shoplink.workflows.validate import timestamp

    try:
        frozen = timestamp(raw)
    except BadInput as failure:
        raise BadInput(f"{FAKE_NOW_VARIABLE}: {failure.message}") from None
    assert frozen is not None
    return lambda: frozen
