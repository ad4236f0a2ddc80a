"""Signing in and out of Seller Center (/seller) and the TikTok app (/app) with a token.

The sign-in form has no session yet, so its CSRF token is a double-submit cookie. The
token goes in the POST body only, and the answer is a session cookie: no secret is ever
in a URL.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from shoplink.pages.web import (
    AREAS,
    AccountHolder,
    PageRoute,
    Seller,
    Visitor,
    cookie_name,
    redirect,
    render,
)
from shoplink.workflows.clock import as_utc
from shoplink.workflows.errors import Unauthorized
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.web_sessions import sign_in, sign_out

router = APIRouter(route_class=PageRoute, include_in_schema=False)
LOGIN_CSRF = "shoplink_login_csrf"
TITLES = {"seller": "Seller Center", "account": "TikTok"}


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(request: Request, kind: str, status: int = 200,
                error: str | None = None) -> Response:
    csrf = request.cookies.get(LOGIN_CSRF) or secrets.token_urlsafe(32)
    response = render(request, "login.html", status, area=TITLES[kind],
                      action=f"{AREAS[kind][0]}/login", csrf_token=csrf, error=error)
    response.set_cookie(LOGIN_CSRF, csrf, httponly=True, samesite="strict",
                        secure=_secure(request), path=AREAS[kind][0])
    return response


def _sign_in(request: Request, kind: str, token: str, csrf_token: str) -> Response:
    expected = request.cookies.get(LOGIN_CSRF, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _login_page(request, kind, 403, "This form is out of date: sign in again.")
    if not token.strip():
        return _login_page(request, kind, 400, "Enter your token.")
    state = request.app.state
    try:
        secret, _ = sign_in(UnitOfWork(state.engine), token, kind, as_utc(state.clock()))
    except Unauthorized as refusal:
        return _login_page(request, kind, 401, refusal.message.replace("bearer ", ""))
    response = redirect(f"{AREAS[kind][0]}/")
    response.set_cookie(cookie_name(kind), secret, httponly=True, samesite="lax",
                        secure=_secure(request), path=AREAS[kind][0])
    response.delete_cookie(LOGIN_CSRF, path=AREAS[kind][0])
    return response


def _sign_out(visitor: Visitor, kind: str) -> Response:
    sign_out(visitor.uow(), visitor.secret, visitor.now)
    response = redirect(f"{AREAS[kind][0]}/login")
    response.delete_cookie(cookie_name(kind), path=AREAS[kind][0])
    return response


Token = Annotated[str, Form()]
Csrf = Annotated[str, Form()]


@router.get("/seller/login")
def seller_login_page(request: Request) -> Response:
    return _login_page(request, "seller")


@router.post("/seller/login")
def seller_login(request: Request, token: Token = "", csrf_token: Csrf = "") -> Response:
    return _sign_in(request, "seller", token, csrf_token)


@router.post("/seller/logout")
def seller_logout(visitor: Seller) -> Response:
    return _sign_out(visitor, "seller")


@router.get("/app/login")
def app_login_page(request: Request) -> Response:
    return _login_page(request, "account")


@router.post("/app/login")
def app_login(request: Request, token: Token = "", csrf_token: Csrf = "") -> Response:
    return _sign_in(request, "account", token, csrf_token)


@router.post("/app/logout")
def app_logout(visitor: AccountHolder) -> Response:
    return _sign_out(visitor, "account")
