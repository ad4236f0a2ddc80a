"""`shoplink serve`: the HTTP API of SPEC section 7 under uvicorn."""

from __future__ import annotations

import os
from typing import Any

import click

from shoplink.cli.app import App


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port, printed at start).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes, each with its own threads and connections.")
@click.option("--threads", default=None, type=click.IntRange(1, 1000),
              help="Requests one process works on at once  [default: 8]")
@click.option("--pool-size", default=None, type=click.IntRange(1, 1000),
              help="Database connections per process  [default: --threads]")
@click.option("--pool-timeout", default=None, type=click.FloatRange(0.1, 300),
              help="Seconds a request waits for a connection before it answers 503 with "
                   "Retry-After  [default: 5]")
@click.pass_obj
def serve(app: App, host: str, port: int, workers: int, threads: int | None,
          pool_size: int | None, pool_timeout: float | None) -> None:
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
    from shoplink.api.serving import Sizing, application

    sizing = Sizing.from_environment().given(threads, pool_size, pool_timeout)
    app.engine()  # checks the schema (SQLite: upgrades it) once, before any worker starts
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info",
                               "access_log": True, "server_header": False}
    if workers == 1:
        uvicorn.run(application(app.url(), sizing, clock=app.clock, ttl=app.invitation_ttl()),
                    **options)
        return
    app.close()
    os.environ.update(sizing.environment(app.url()))  # what each worker process reads
    uvicorn.run("shoplink.api.serving:from_environment", factory=True, workers=workers,
                **options)

