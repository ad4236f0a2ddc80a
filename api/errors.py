"""The one place errors become HTTP answers: the error document with the spec's statuses."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from shoplink.api.auth import refuse_first
from shoplink.api.schemas import ErrorDocument
from shoplink.workflows.errors import (
    BadInput,
    IdempotencyKeyReused,
    NotFound,
    Refused,
    SchemaOutdated,
    ShoplinkError,
    Unauthorized,
)
from shoplink.workflows.schema import outdated

log = logging.getLogger("shoplink.api")

INTERNAL = (500, {"error": {"code": "internal", "message": "internal error"}})
DESCRIPTIONS = {
    400: "bad input", 401: "no, unknown or revoked token", 404: "absent or out of reach",
    409: "refused by a rule or by the link's state", 422: "a body or query that does not parse",
    500: "unexpected failure (no detail)",
    503: "the database does not answer, its schema is not current, or no connection was "
         "free in time (with Retry-After)",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    return {s: {"model": ErrorDocument, "description": DESCRIPTIONS[s]} for s in statuses}


def document(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def answer_for(failure: ShoplinkError) -> tuple[int, dict[str, Any]]:
    """(status, error document) of a domain error; what is not ours is internal."""
    if isinstance(failure, Refused):
        extra: dict[str, Any] = {}
        if len(failure.violations) > 1:
            extra["rules"] = [v.as_dict() for v in failure.violations]
        if failure.link is not None:
            extra["link"] = failure.link
        return 409, document(failure.code, failure.message, **extra)
    if isinstance(failure, IdempotencyKeyReused):
        return 422, document(failure.code, failure.message)
    if isinstance(failure, SchemaOutdated):
        return 503, document("schema_outdated", failure.message)
    for kind, status in ((Unauthorized, 401), (NotFound, 404), (BadInput, 400)):
        if isinstance(failure, kind):
            return status, document(failure.code, failure.message)
    log.error("unmapped domain error", extra={"action": "api", "code": failure.code})
    return INTERNAL


# Handlers that only build an answer are `async`: Starlette runs them on the event loop,
# not on a worker thread and back (every refused link or bad input paid that hand-off).
async def _domain(request: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, ShoplinkError)
    status, body = answer_for(failure)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status, headers=headers)


async def _validation(request: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, RequestValidationError)
    try:
        await refuse_first(request)
    except ShoplinkError as refused:
        return await _domain(request, refused)
    problems = []
    for item in failure.errors()[:5]:
        where = ".".join(str(part) for part in item.get("loc", ()))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return JSONResponse(document("bad_input", "; ".join(problems) or "invalid request"), 422)


async def _http(request: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, HTTPException)
    status, code, message = failure.status_code, "bad_input", str(failure.detail)
    headers = getattr(failure, "headers", None)
    if status == 404:
        code, message = "not_found", "not found"
    elif status == 400:  # FastAPI's only 400: a body it could not even read as JSON
        status, message = 422, "body: the body does not parse"
    elif status == 405:  # Starlette names the methods of one route; the path may have more
        headers = {"Allow": ", ".join(_allowed(request))}
    return JSONResponse(document(code, message), status, headers=headers)


def _allowed(request: Request) -> list[str]:
    """Every method the OpenAPI document gives this path (GET brings HEAD)."""
    methods: set[str] = set()
    for path, item in request.app.openapi()["paths"].items():
        if compile_path(path)[0].match(request.url.path):
            methods |= {method.upper() for method in item}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


RETRY_AFTER_SECONDS = 1


def _busy(request: Request, failure: Exception) -> JSONResponse:
    """No connection within the pool's timeout (or SQLite still locked): come back soon."""
    if isinstance(failure, OperationalError) and "database is locked" not in str(failure):
        return _unexpected(request, failure)
    log.warning("database busy", extra={"action": "api", "path": request.url.path,
                                        "reason": type(failure).__name__})
    return JSONResponse(document("unavailable", "the server is busy: retry in a moment"), 503,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def unavailable(engine: Engine) -> tuple[int, dict[str, Any]] | None:
    """503 and why, when the database does not answer or is at another schema."""
    try:
        problem = outdated(engine)
    except sa.exc.SQLAlchemyError:
        return 503, document("unavailable", "the database does not answer")
    if problem is not None:
        return 503, document("schema_outdated", problem.message)
    return None


def _unexpected(request: Request, failure: Exception) -> JSONResponse:
    if isinstance(failure, sa.exc.SQLAlchemyError):
        found = unavailable(request.app.state.engine)
        if found is not None:
            log.warning("database unavailable", extra={"action": "api",
                                                       "code": found[1]["error"]["code"]})
            return JSONResponse(found[1], found[0])
    log.exception("unexpected failure", extra={"action": "api", "path": request.url.path})
    return JSONResponse(INTERNAL[1], INTERNAL[0])


def install(app: FastAPI) -> None:
    app.add_exception_handler(ShoplinkError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(PoolTimeout, _busy)
    app.add_exception_handler(OperationalError, _busy)
    app.add_exception_handler(Exception, _unexpected)
