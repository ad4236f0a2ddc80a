"""Past links cost the rules and the Marketing accounts tab nothing: every refused attempt
leaves a rejected link behind, and expired invitations and old unlinks pile up too, so a
shop or an account that has been around a while has far more ended links than open ones.
The rules count only open links and those linked within 180 days, the tab only the links
holding a slot; each reads the same rows with 1,000 past links as with none. Counted in
SQLite's virtual-machine steps (its progress handler), which do not depend on the
machine's speed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from shoplink.workflows import lookup, rules
from shoplink.workflows.links import new_link
from shoplink.workflows.models import Link
from shoplink.workflows.shops import marketing_tab
from tests.conftest import T0, listening

PAST_LINKS = 1_000


@contextmanager
def counting_steps(engine: sa.Engine) -> Iterator[list[int]]:
    """How many SQLite virtual-machine instructions ran meanwhile, on every connection the
    engine handed out (a unit of work's too): `with counting_steps(engine) as counted:`,
    then `counted[0]`."""
    counter = [0]

    def tick() -> int:
        counter[0] += 1
        return 0

    def count(driver, *_) -> None:
        driver.set_progress_handler(tick, 1)

    def stop(driver, *_) -> None:
        driver.set_progress_handler(None, 1)

    with listening(engine, checkout=count, checkin=stop):
        yield counter


def steps(engine: sa.Engine, work: Callable[[sa.Connection], object]) -> int:
    """How many SQLite virtual-machine instructions `work` ran on its connection."""
    with counting_steps(engine) as counted:
        with engine.connect() as connection:
            work(connection)
    return counted[0]


def add_past_links(engine: sa.Engine, shop: str, username: str) -> None:
    with engine.begin() as connection:
        shop_id = lookup.shop_row(connection, shop).id
        account_id = lookup.account_row(connection, username).id
        connection.execute(sa.insert(Link), [  # refused attempts...
            {"shop_id": shop_id, "account_id": account_id, "state": "rejected",
             "created_at": T0, "ended_at": T0} for _ in range(PAST_LINKS)])
        connection.execute(sa.insert(Link), [  # ... and invitations let expire
            {"shop_id": shop_id, "account_id": account_id, "state": "expired",
             "created_at": T0, "expires_at": T0, "ended_at": T0}
            for _ in range(PAST_LINKS // 10)])


def check_rules(connection: sa.Connection) -> None:
    shop = lookup.shop_row(connection, "Acme")
    account = lookup.account_row(connection, "alice")
    assert [v.code for v in rules.for_marketing_link(connection, shop, account, T0)] == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's step counter
def test_checking_the_rules_reads_none_of_a_shops_or_an_accounts_past_links(
        engine, uow, make_shop, make_account):
    make_shop("Acme")
    make_shop("Bravo")
    make_account("alice")
    make_account("bob")
    new_link(uow(), "Acme", "bob", T0)  # open links the rules must still see
    new_link(uow(), "Bravo", "alice", T0)
    before = steps(engine, check_rules)

    add_past_links(engine, "Acme", "alice")  # alice's refused attempts at Acme, ...
    after = steps(engine, check_rules)

    assert after < before * 1.2, (before, after)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_marketing_tab_page_reads_none_of_the_shops_past_links(
        engine, uow, make_shop, make_account):
    """The page shows the slots in use and the 180-day window, not the links by state."""
    make_shop("Acme")
    for name in ("alice", "bob"):
        make_account(name)
    new_link(uow(), "Acme", "bob", T0)
    with counting_steps(engine) as counted:
        tab = marketing_tab(uow(), "Acme", T0)
    before = counted[0]

    add_past_links(engine, "Acme", "alice")
    with counting_steps(engine) as counted:
        again = marketing_tab(uow(), "Acme", T0)

    assert counted[0] < before * 1.2, (before, counted[0])
    assert again == tab
    assert tab["shop"]["marketing_accounts"] == len(tab["links"]) == 1
