"""The FastAPI application: routes, error mapping, and the state every request reads."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from importlib.metadata import version

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from shoplink.api import errors, links, schemas, shops
from shoplink.workflows.clock import Clock, utc_now

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
DESCRIPTION = (
    "Link TikTok accounts to a TikTok Shop as marketing accounts. Every route but "
    "/healthz takes `Authorization: Bearer TOKEN` (`shoplink token issue`); anything "
    "outside the token's reach answers 404."
)


def create_app(engine: Engine, *, clock: Clock = utc_now, ttl: timedelta | None = None,
               lifespan: Lifespan | None = None) -> FastAPI:
    """The API over `engine`; `app.state.clock` is the one clock every request reads."""
    app = FastAPI(title="shoplink", version=version("shoplink"), description=DESCRIPTION,
                  openapi_url="/openapi.json", redoc_url=None, lifespan=lifespan)
    app.state.engine = engine
    app.state.clock = clock
    app.state.ttl = ttl
    errors.install(app)
    app.add_api_route("/healthz", healthz, methods=["GET"], response_model=schemas.Health,
                      tags=["operations"], responses=errors.responses(500, 503))
    app.include_router(shops.router)
    app.include_router(links.router)
    from shoplink.pages.site import install as install_pages

    install_pages(app)
    return app


def healthz(request: Request) -> JSONResponse:
    """200 when the database answers at the current schema, else 503 saying why; no token."""
    found = errors.unavailable(request.app.state.engine)
    if found is not None:
        errors.log.warning("health check failed", extra={"action": "healthz",
                                                         "code": found[1]["error"]["code"]})
        return JSONResponse(found[1], found[0])
    return JSONResponse({"status": "ok"})
