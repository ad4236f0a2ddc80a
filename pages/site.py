"""Mounts the pages and their stylesheet on the API's application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from shoplink.pages import linking, seller, signin, tiktok
from shoplink.pages.web import HERE


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in (signin.router, seller.router, linking.router, tiktok.router):
        app.include_router(router)
