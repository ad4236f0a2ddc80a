"""Two people creating the same shop or account at once: one wins, the other gets bad input."""

from __future__ import annotations

import threading

from shoplink.workflows.accounts import add_account
from shoplink.workflows.errors import BadInput
from shoplink.workflows.shops import add_shop
from tests.conftest import T0

WORKERS = 8


def _race(action) -> list[str]:
    barrier = threading.Barrier(WORKERS)
    outcomes: list[str] = []

    def worker() -> None:
        barrier.wait()
        try:
            action()
            outcomes.append("ok")
        except BadInput as refusal:
            outcomes.append(refusal.message)

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_racing_shop_creations_make_one_shop_and_say_the_name_is_taken(uow):
    outcomes = _race(lambda: add_shop(uow(), "Acme", T0))
    assert outcomes.count("ok") == 1
    assert sorted(set(outcomes) - {"ok"}) == ["a shop named 'Acme' already exists"]


def test_racing_account_creations_make_one_account_and_say_it_exists(uow):
    outcomes = _race(lambda: add_account(uow(), {"username": "alice"}, T0))
    assert outcomes.count("ok") == 1
    assert sorted(set(outcomes) - {"ok"}) == ["account @alice already exists"]
