"""What every page shares: templates, the signed-in visitor, CSRF, and errors as pages.

A session cookie per area (Seller Center at /seller, the TikTok app at /app) names a
server-side session; a POST must carry the session's CSRF token or it changes nothing.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from shoplink.pages import times
from shoplink.workflows.clock import as_utc
from shoplink.workflows.errors import BadInput, NotFound, Refused, ShoplinkError
from shoplink.workflows.tokens import Principal
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.web_sessions import SignedIn, resume, say

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["utc"] = times.utc
templates.env.filters["relative"] = times.relative
AREAS = {"seller": ("/seller", "seller"), "account": ("/app", "app")}
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInNeeded(Exception):
    """No live session in this area: the visitor goes to its sign-in page."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


class CsrfFailed(Exception):
    """A POST without this session's CSRF token: refused, nothing changed."""


def cookie_name(kind: str) -> str:
    return f"shoplink_{AREAS[kind][1]}_session"


@dataclass(frozen=True)
class Visitor:
    """A signed-in person: who, the database, the one `now` of this request, the session."""

    principal: Principal
    csrf_token: str
    flash: list[dict[str, Any]]
    secret: str
    request: Request

    @property
    def shop(self) -> str:
        """The seller's shop, by its exact name (as the API names it)."""
        return self.principal.shop or ""

    @property
    def username(self) -> str:
        return self.principal.username or ""

    @property
    def now(self) -> datetime:
        return as_utc(self.request.app.state.clock())

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.request.app.state.engine)

    def say(self, message: dict[str, Any]) -> None:
        say(self.uow(), self.secret, message)

    def page(self, name: str, status: int = 200, **context: Any) -> Response:
        return render(self.request, name, status, visitor=self, flash=self.flash, **context)


def _visitor(request: Request, kind: str) -> Visitor:
    secret = request.cookies.get(cookie_name(kind))
    state = request.app.state
    found: SignedIn | None = None
    if secret and len(secret) < 100:
        found = resume(UnitOfWork(state.engine), secret, as_utc(state.clock()))
    if found is None or found.principal.kind != kind:
        raise SignInNeeded(kind)
    return Visitor(found.principal, found.csrf_token, found.flash, secret or "", request)


async def _checked(request: Request, kind: str) -> Visitor:
    visitor = await run_in_threadpool(_visitor, request, kind)
    if request.method == "POST":
        sent = (await request.form()).get("csrf_token")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, visitor.csrf_token):
            raise CsrfFailed()
    return visitor


async def seller(request: Request) -> Visitor:
    return await _checked(request, "seller")


async def account(request: Request) -> Visitor:
    return await _checked(request, "account")


Seller = Annotated[Visitor, Depends(seller)]
AccountHolder = Annotated[Visitor, Depends(account)]


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    now = as_utc(request.app.state.clock())
    return templates.TemplateResponse(request, name, {"now": now, **context},
                                      status_code=status, headers=HEADERS)


def redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def refusal(failure: ShoplinkError, field: str | None = None) -> dict[str, Any]:
    """A flash message for a domain error: every failed rule, with its code."""
    if isinstance(failure, Refused):
        return {"kind": "refused", "rules": [v.as_dict() for v in failure.violations],
                "field": field}
    return {"kind": "bad_input" if isinstance(failure, BadInput) else failure.code,
            "rules": [{"code": failure.code, "message": failure.message}], "field": field}


def done(message: str) -> dict[str, Any]:
    return {"kind": "done", "rules": [{"code": "done", "message": message}]}


def act(visitor: Visitor, action: Callable[[], Any], then: str, *,
        success: str | Callable[[Any], str] | None = None, field: str | None = None) -> Response:
    """Run one user action; say what came of it on the page `then` (POST, 303, GET)."""
    try:
        result = action()
    except (Refused, BadInput) as failure:
        visitor.say(refusal(failure, field))
        return redirect(then)
    if success is not None:
        visitor.say(done(success(result) if callable(success) else success))
    return redirect(then)


class PageRoute(APIRoute):
    """A route whose errors are pages: sign-in redirects, 404 and 403 pages in HTML."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded as needed:
                return redirect(f"{AREAS[needed.kind][0]}/login")
            except CsrfFailed:
                return render(request, "error.html", 403, title="Form refused",
                              code="csrf", message="This form was not sent from this page "
                              "(or it is out of date): nothing was changed. Go back, "
                              "reload the page and try again.")
            except (NotFound, RequestValidationError):
                return render(request, "error.html", 404, title="Not found", code="not_found",
                              message="There is nothing here, or it is not yours to see.")
            except ShoplinkError as failure:
                return render(request, "error.html", 409, title="Refused", code=failure.code,
                              message=failure.message)

        return page_handler
