"""`shoplink demo`: one shop through the whole link workflow, on a simulated clock.

Every step calls the real service layer with `now` taken from a datetime the script
moves forward, so two days pass in a second and the rules see what a seller would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from shoplink.workflows import accounts, links, marketing, shops
from shoplink.workflows.clock import iso
from shoplink.workflows.db import make_engine
from shoplink.workflows.errors import Refused
from shoplink.workflows.models import LinkEvent
from shoplink.workflows.schema import upgrade
from shoplink.workflows.uow import UnitOfWork

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHOP = "Sunny Socks"
RENAMED = "SUNNY SOCKS!"
OFFICIAL = {"username": "sunny.socks", "nickname": "Sunny Socks", "email": "hi@sunnysocks.example"}
PEOPLE = [("ava", "Ava Reyes"), ("ben", "Ben Okafor"), ("cleo", "Cleo Marsh"),
          ("dan", "Dan Ito"), ("eve", "Eve Laurent")]


class Demo:
    """The simulated clock, the database, and the timeline of what happened."""

    def __init__(self, engine: sa.Engine, start: datetime = START) -> None:
        self.engine = engine
        self.now = start
        self.timeline: list[dict[str, Any]] = []
        self._last_event_id = 0

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def wait(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def step(self, actor: str, event: str, action: Callable[[], Any],
             result: Callable[[Any], str]) -> Any:
        """Run one user action at `now`; record it, and any timer the catch-up fired first."""
        try:
            view = action()
        except Refused as refusal:
            self._timer_events()
            link = refusal.link["id"] if refusal.link else None
            self._record(self.now, actor, event, f"refused [{refusal.code}]: {refusal.message}",
                         code=refusal.code, link=link)
            return None
        self._timer_events()
        link = view.get("id") if isinstance(view, dict) and "state" in view else None
        self._record(self.now, actor, event, result(view), link=link)
        return view

    def _record(self, at: datetime, actor: str, event: str, result: str, *,
                code: str | None = None, link: int | None = None) -> None:
        self.timeline.append({"at": iso(at), "actor": actor, "event": event, "result": result,
                              "code": code, "link": link})

    def _timer_events(self) -> None:
        """The clock's transitions (actor `system`) the last action caught up on its way."""
        with self.uow() as uow:
            rows = uow.session.execute(
                sa.select(LinkEvent.id, LinkEvent.actor, LinkEvent.event, LinkEvent.at,
                          LinkEvent.link_id, LinkEvent.from_state, LinkEvent.to_state,
                          LinkEvent.recorded_at)
                .where(LinkEvent.id > self._last_event_id).order_by(LinkEvent.id)
            ).all()
        for row in rows:
            self._last_event_id = row.id
            if row.actor == "system":
                self._record(row.at, "system", row.event,
                             f"link {row.link_id} {row.from_state} -> {row.to_state} at its "
                             f"deadline (caught up at {iso(row.recorded_at)})", link=row.link_id)

    def ordered(self) -> list[dict[str, Any]]:
        """The timeline by effective time: a timer lands at its deadline, not when noticed."""
        return sorted(self.timeline, key=lambda moment: moment["at"])


def _link(view: dict[str, Any]) -> str:
    deadline = {"invited": f", expires {view['expires_at']}",
                "linked": f", unlockable from {view['unlockable_at']}"}.get(view["state"], "")
    return f"link {view['id']} @{view['account']} {view['state']}{deadline}"


def script(demo: Demo, workdir: Path) -> None:
    """The story: four links, a full shop, the 24-hour lock, an invitation left to expire."""
    seller, operator = "seller", "operator"
    demo.step(operator, f"shop add {SHOP!r}", lambda: shops.add_shop(demo.uow(), SHOP, demo.now),
              lambda v: f"shop {v['id']} {v['name']!r} created in {v['region']}")
    directory = workdir / "accounts.jsonl"
    directory.write_text("\n".join(json.dumps(r) for r in [OFFICIAL] + [
        {"username": u, "nickname": n, "email": f"{u}@example.com"} for u, n in PEOPLE]) + "\n")
    demo.step(operator, "account import accounts.jsonl",
              lambda: accounts.import_accounts(demo.uow(), directory, demo.now),
              lambda v: f"{v['added']} accounts added")
    demo.wait(minutes=5)
    demo.step(seller, f"official set @{OFFICIAL['username']}",
              lambda: shops.set_official(demo.uow(), SHOP, OFFICIAL["username"], demo.now),
              lambda v: f"@{v['official_account']} is the official account")
    first_link: int | None = None
    for username, _ in PEOPLE[:4]:
        demo.wait(minutes=10)
        view = demo.step(seller, f"link new @{username}",
                         partial(links.new_link, demo.uow(), SHOP, username, demo.now), _link)
        first_link = first_link or view["id"]
        demo.wait(minutes=20)
        demo.step(f"account:{username}", f"link accept {view['id']}",
                  partial(links.accept_link, demo.uow(), view["id"], username, demo.now), _link)
    fifth = PEOPLE[4][0]
    demo.wait(minutes=30)
    demo.step(seller, f"link new @{fifth}",
              lambda: links.new_link(demo.uow(), SHOP, fifth, demo.now), _link)
    demo.wait(hours=2)
    def unlink() -> dict[str, Any]:
        assert first_link is not None
        return links.unlink_link(demo.uow(), first_link, demo.now)

    demo.step(seller, f"link unlink {first_link}", unlink, _link)
    demo.wait(hours=22)
    demo.step(seller, f"link unlink {first_link}", unlink, _link)
    demo.wait(minutes=10)
    invited = demo.step(seller, f"link new @{fifth}",
                        lambda: links.new_link(demo.uow(), SHOP, fifth, demo.now), _link)
    demo.wait(hours=48, minutes=5)
    demo.step(f"account:{fifth}", f"link accept {invited['id']}",
              lambda: links.accept_link(demo.uow(), invited["id"], fifth, demo.now), _link)
    demo.step(seller, "marketing", lambda: marketing.marketing_accounts(demo.uow(), SHOP, demo.now),
              lambda rows: f"{len(rows)} marketing accounts: "
                           + ", ".join(f"@{r['account']} ({r['state']})" for r in rows))
    changes(demo)


def changes(demo: Demo) -> None:
    """Live data changes: an account not yet identity-verified, then a shop renamed."""
    seller, operator, newcomer = "seller", "operator", "fay"
    demo.wait(minutes=15)
    demo.step(operator, f"account add @{newcomer} --no-identity-verified",
              lambda: accounts.add_account(demo.uow(), {"username": newcomer, "nickname": "Fay",
                                                        "identity_verified": False}, demo.now),
              lambda v: f"account @{v['username']} added, identity not verified")
    demo.wait(minutes=5)
    demo.step(seller, f"link new @{newcomer}",
              lambda: links.new_link(demo.uow(), SHOP, newcomer, demo.now), _link)
    demo.wait(hours=1)
    demo.step(operator, f"account update @{newcomer} --identity-verified",
              lambda: accounts.update_account(demo.uow(), newcomer,
                                              {"identity_verified": True}, demo.now),
              lambda v: f"@{v['username']} changed: {', '.join(v['changed'])}")
    demo.wait(minutes=5)
    demo.step(seller, f"link new @{newcomer}",
              lambda: links.new_link(demo.uow(), SHOP, newcomer, demo.now), _link)
    demo.wait(minutes=30)
    for name in ("Sunny Sox", RENAMED):
        demo.step(operator, f"shop update --name {name!r}",
                  partial(shops.update_shop, demo.uow(), SHOP, demo.now, name=name),
                  lambda v: f"shop renamed {v['name']!r}; @{v['official_account']}'s nickname "
                            f"follows")


def run(workdir: Path, start: datetime = START) -> list[dict[str, Any]]:
    """Play the story into `workdir/demo.db` (created and migrated here); return the timeline."""
    engine = make_engine(f"sqlite:///{workdir / 'demo.db'}")
    try:
        upgrade(engine)
        demo = Demo(engine, start)
        script(demo, workdir)
        return demo.ordered()
    finally:
        engine.dispose()
