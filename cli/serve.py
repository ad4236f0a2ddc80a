"""`shoplink serve`: the HTTP API of SPEC section 7 under uvicorn."""

from __future__ import annotations

import click

from shoplink.cli.app import App


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

    application = create_app(app.engine(), clock=app.clock, ttl=app.invitation_ttl())
    uvicorn.run(application, host=host, port=port, log_level="info", access_log=True,
                server_header=False)
