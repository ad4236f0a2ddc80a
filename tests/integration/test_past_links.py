"""Past links cost the rules nothing: every refused attempt leaves a rejected link behind,
and expired invitations and old unlinks pile up too, so a shop or an account that has
been around a while has far more ended links than open ones. The rules count only open
links and those linked within 180 days; checking them reads the same rows with 1,000
past links as with none. Counted in SQLite's virtual-machine steps (its progress
handler), which do not depend on the machine's speed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from shoplink.workflows import lookup, rules
from shoplink.workflows.links import new_link
from shoplink.workflows.models import Link
from tests.conftest import T0

PAST_LINKS = 1_000


def steps(engine: sa.Engine, work: Callable[[sa.Connection], object]) -> int:
    """How many SQLite virtual-machine instructions `work` ran on its connection."""
    counter = [0]

    def tick() -> int:
        counter[0] += 1
        return 0  # go on

    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        driver.set_progress_handler(tick, 1)
        try:
            work(connection)
        finally:
            driver.set_progress_handler(None, 1)
    return counter[0]


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

    with engine.begin() as connection:
        shop_id = lookup.shop_row(connection, "Acme").id
        account_id = lookup.account_row(connection, "alice").id
        connection.execute(sa.insert(Link), [  # alice's refused attempts at Acme...
            {"shop_id": shop_id, "account_id": account_id, "state": "rejected",
             "created_at": T0, "ended_at": T0} for _ in range(PAST_LINKS)])
        connection.execute(sa.insert(Link), [  # ... and invitations she let expire
            {"shop_id": shop_id, "account_id": account_id, "state": "expired",
             "created_at": T0, "expires_at": T0, "ended_at": T0}
            for _ in range(PAST_LINKS // 10)])
    after = steps(engine, check_rules)

    assert after < before * 1.2, (before, after)
