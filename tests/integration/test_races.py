"""Concurrent requests never exceed a limit: 20 threads, each with its own unit of work.

A barrier releases every thread at once; each one's engine connection is its own
(the pool is sized so no thread waits for a connection, only for the lock).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from shoplink.workflows.db import make_engine
from shoplink.workflows.errors import Refused
from shoplink.workflows.links import accept_link, invite_link, new_link
from shoplink.workflows.uow import UnitOfWork
from tests.conftest import T0
from tests.integration.flows import DAY, codes, link_history, stored_states

WORKERS = 20
Call = Callable[[UnitOfWork], Any]


@pytest.fixture
def race_engine(database_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(database_url, pool_size=WORKERS, max_overflow=0)
    yield engine
    engine.dispose()


def race(engine: sa.Engine, calls: list[Call]) -> list[tuple[str, Any]]:
    """Run every call in its own thread, all released together; ("ok", view) or the codes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def work(index: int) -> None:
        uow = UnitOfWork(engine)
        barrier.wait(timeout=60)
        try:
            outcomes[index] = ("ok", calls[index](uow))
        except Refused as refusal:
            outcomes[index] = ("refused", tuple(codes(refusal)))
        except Exception as failure:  # any other error is a bug the test must show
            outcomes[index] = ("error", repr(failure))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def tally(outcomes: list[tuple[str, Any]]) -> Counter:
    return Counter(kind if kind == "ok" else (kind, detail) for kind, detail in outcomes)


def test_twenty_sellers_inviting_at_once_fill_exactly_four_slots(make_shop, make_account, uow,
                                                                  race_engine):
    make_shop("Acme")
    names = [make_account()["username"] for _ in range(WORKERS)]
    outcomes = race(race_engine, [
        lambda work, name=name: new_link(work, "Acme", name, T0) for name in names
    ])
    assert tally(outcomes) == {"ok": 4, ("refused", ("marketing_account_limit",)): 16}
    assert Counter(stored_states(uow).values()) == {"invited": 4, "rejected": 16}


def test_twenty_verified_links_invited_at_once_fill_exactly_four_slots(make_shop, make_account,
                                                                        uow, race_engine):
    make_shop("Acme")
    names = [make_account()["username"] for _ in range(WORKERS)]
    verified = [new_link(uow(), "Acme", name, T0, invite=False)["id"] for name in names]
    outcomes = race(race_engine, [
        lambda work, key=key: invite_link(work, key, T0) for key in verified
    ])
    assert tally(outcomes) == {"ok": 4, ("refused", ("marketing_account_limit",)): 16}
    assert Counter(stored_states(uow).values()) == {"invited": 4, "verified": 16}


def test_accepts_racing_new_invitations_never_lose_their_reserved_slot(make_shop, make_account,
                                                                       uow, race_engine):
    make_shop("Acme")
    names = [make_account()["username"] for _ in range(WORKERS)]
    invited = [new_link(uow(), "Acme", name, T0)["id"] for name in names[:3]]
    calls: list[Call] = [
        lambda work, key=key, name=name: accept_link(work, key, name, T0 + DAY)
        for key, name in zip(invited, names, strict=False)
    ]
    calls += [lambda work, name=name: new_link(work, "Acme", name, T0 + DAY)
              for name in names[3:]]
    outcomes = race(race_engine, calls)
    assert [kind for kind, _ in outcomes[:3]] == ["ok"] * 3
    assert tally(outcomes[3:]) == {"ok": 1, ("refused", ("marketing_account_limit",)): 16}
    assert Counter(stored_states(uow).values()) == {"linked": 3, "invited": 1, "rejected": 16}


def test_twenty_sellers_inviting_at_once_respect_the_shop_10_in_180_days(
        make_shop, make_account, uow, race_engine):
    make_shop("Acme")
    past = [make_account()["username"] for _ in range(8)]
    names = [make_account()["username"] for _ in range(WORKERS)]
    now = link_history(uow, "Acme", past, T0)  # 8 links in the window, every slot free
    outcomes = race(race_engine, [
        lambda work, name=name: new_link(work, "Acme", name, now) for name in names
    ])
    assert tally(outcomes) == {"ok": 2, ("refused", ("link_change_limit",)): 18}


def test_twenty_shops_inviting_one_account_at_once_respect_its_10_in_180_days(
        make_shop, make_account, uow, race_engine):
    make_account("alice")
    shops = [make_shop()["name"] for _ in range(WORKERS)]
    outcomes = race(race_engine, [
        lambda work, shop=shop: new_link(work, shop, "alice", T0) for shop in shops
    ])
    assert tally(outcomes) == {"ok": 10, ("refused", ("link_change_limit",)): 10}
    assert Counter(stored_states(uow).values()) == {"invited": 10, "rejected": 10}


def test_twenty_clicks_on_one_invitation_make_one_link_and_no_integrity_error(
        make_shop, make_account, uow, race_engine):
    make_shop("Acme")
    make_account("alice")
    outcomes = race(race_engine, [lambda work: new_link(work, "Acme", "alice", T0)] * WORKERS)
    assert tally(outcomes) == {"ok": 1, ("refused", ("already_linked",)): 19}


def test_answers_racing_on_one_invitation_leave_exactly_one_winner(make_shop, make_account,
                                                                   uow, race_engine):
    from shoplink.workflows.links import cancel_link, decline_link, show_link

    make_shop("Acme")
    make_account("alice")
    key = new_link(uow(), "Acme", "alice", T0)["id"]
    outcomes = race(race_engine, [
        lambda work: accept_link(work, key, "alice", T0),
        lambda work: decline_link(work, key, "alice", T0),
        lambda work: cancel_link(work, key, T0),
    ] * 3)
    assert tally(outcomes) == {"ok": 1, ("refused", ("invalid_transition",)): 8}
    history = show_link(uow(), key, T0)["history"]
    assert [e["event"] for e in history][:3] == ["search", "verify", "invite"]
    assert len(history) == 4


def test_shops_claiming_one_official_account_at_once_leave_it_to_one(make_shop, make_account,
                                                                     uow, race_engine):
    from shoplink.workflows.shops import set_official

    make_account("acme", nickname="ACME")
    shops = [make_shop(name)["name"] for name in ("Acme", "ACME", "acme!", "Acme.", "a.c.m.e",
                                                  "ACME!!", "acme?", "Acme*")]
    outcomes = race(race_engine, [
        lambda work, shop=shop: set_official(work, shop, "acme", T0) for shop in shops
    ])
    assert tally(outcomes) == {"ok": 1, ("refused", ("official_account_taken",)): 7}
