"""Make the README's screenshots of the pages on the demo's data; anyone can rerun it.

    python docs/screenshots/make.py [--chromium /usr/bin/chromium] [--out docs/screenshots]

It plays `shoplink demo` into a throwaway SQLite file (whose story ends with Fay invited),
adds Gus, who is under 18, serves the pages on a loopback port with the clock just after
the demo's end, and photographs three pages in Debian's Chromium: the Marketing accounts
tab, the verify step for Gus, and Fay's invitation in the TikTok app at a phone's width.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from shoplink.api.app import create_app
from shoplink.pages.times import parse
from shoplink.workflows import demo
from shoplink.workflows.accounts import add_account
from shoplink.workflows.db import make_engine
from shoplink.workflows.tokens import issue_token
from shoplink.workflows.uow import UnitOfWork

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--chromium", default="/usr/bin/chromium")
    options.add_argument("--out", type=Path, default=Path(__file__).parent)
    args = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="shoplink-shots-") as workdir:
        moments = demo.run(Path(workdir))
        now = parse(moments[-1]["at"]) + timedelta(minutes=10)
        engine = make_engine(f"sqlite:///{workdir}/demo.db")
        try:
            shoot(engine, now, args.chromium, args.out)
        finally:
            engine.dispose()


def shoot(engine, now, chromium: str, out: Path) -> None:
    def uow() -> UnitOfWork:
        return UnitOfWork(engine)

    add_account(uow(), {"username": "gus", "nickname": "Gus Park", "birth_date": "2010-05-01",
                        "email": "gus@example.com"}, now)
    seller = issue_token(uow(), now, shop_ref="1")["token"]  # the demo's one shop
    fay = issue_token(uow(), now, username="fay")["token"]
    server = uvicorn.Server(uvicorn.Config(create_app(engine, clock=lambda: now),
                                           host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page(base_url=url, viewport={"width": 1100, "height": 700})
            sign_in(page, "seller", seller)
            page.goto("/seller/linked/marketing")
            page.screenshot(path=out / "marketing-accounts.png", full_page=True)
            page.goto("/seller/link-new")
            page.get_by_label("Username or nickname").fill("gus")
            page.get_by_role("button", name="Search").click()
            page.get_by_role("button", name="Next").click()
            page.screenshot(path=out / "verify-step.png", full_page=True)
            phone = browser.new_page(base_url=url, viewport={"width": 390, "height": 844},
                                     device_scale_factor=2)
            sign_in(phone, "app", fay)
            phone.screenshot(path=out / "app-invitation.png")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
    where = out.resolve()
    if where.is_relative_to(Path.cwd()):
        where = where.relative_to(Path.cwd())
    print(f"wrote marketing-accounts.png, verify-step.png and app-invitation.png in {where}")


def sign_in(page, area: str, token: str) -> None:
    page.goto(f"/{area}/login")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**/{area}/")


if __name__ == "__main__":
    main()
