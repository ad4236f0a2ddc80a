"""The one place errors become HTTP answers: the error document with the spec's statuses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shoplink.api.schemas import ErrorDocument
from shoplink.workflows.errors import BadInput, NotFound, Refused, ShoplinkError, Unauthorized

log = logging.getLogger("shoplink.api")

INTERNAL = (500, {"error": {"code": "internal", "message": "internal error"}})
DESCRIPTIONS = {
    400: "bad input", 401: "no, unknown or revoked token", 404: "absent or out of reach",
    409: "refused by a rule or by the link's state", 422: "a body or query that does not parse",
    500: "unexpected failure (no detail)", 503: "the database does not answer",
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
    for kind, status in ((Unauthorized, 401), (NotFound, 404), (BadInput, 400)):
        if isinstance(failure, kind):
            return status, document(failure.code, failure.message)
    log.error("unmapped domain error", extra={"action": "api", "code": failure.code})
    return INTERNAL


def _domain(request: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, ShoplinkError)
    status, body = answer_for(failure)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status, headers=headers)


def _validation(request: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, RequestValidationError)
    problems = []
    for item in failure.errors()[:5]:
        where = ".".join(str(part) for part in item.get("loc", ()))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return JSONResponse(document("bad_input", "; ".join(problems) or "invalid request"), 422)


def _http(request: Request, failure: Exception) -> JSONResponse:
    assert isinstance(failure, HTTPException)
    status, code, message = failure.status_code, "bad_input", str(failure.detail)
    if status == 404:
        code, message = "not_found", "not found"
    elif status == 400:  # FastAPI's only 400: a body it could not even read as JSON
        status, message = 422, "body: the body does not parse"
    return JSONResponse(document(code, message), status,
                        headers=getattr(failure, "headers", None))


def _unexpected(request: Request, failure: Exception) -> JSONResponse:
    log.exception("unexpected failure", extra={"action": "api", "path": request.url.path})
    return JSONResponse(INTERNAL[1], INTERNAL[0])


def install(app: FastAPI) -> None:
    app.add_exception_handler(ShoplinkError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
