"""On PostgreSQL a statement a connection has prepared is planned once (a generic plan) or
afresh at every execution (a custom plan), as the server judges from their estimated
costs. A link's statements, the search and the reads around them run often enough to be
prepared, and none may be planned at every execution: the rules' read (an OR of four
index ranges) and the search (its limit bound) once were, about half a millisecond of
the server's time each, a third of what the server spent on a link."""

from __future__ import annotations

import pytest

from shoplink.workflows.accounts import search_accounts
from shoplink.workflows.links import (
    accept_link,
    list_links,
    new_link,
    pending_invitations,
    show_link,
)
from shoplink.workflows.shops import marketing_tab, show_shop
from tests.benchmarks.seed import load_history
from tests.conftest import T0

LINKS = 12  # psycopg prepares a statement at its sixth run, the server decides after five more
PAST = 4_000  # finished links, over 180 days old, on shops and accounts of their own


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # the server's planning
def test_a_links_and_its_reads_statements_are_planned_once_per_connection(
        engine, uow, make_shop, make_account):
    for shop in range(LINKS // 4):
        make_shop(f"Shop {shop}")
    for number in range(LINKS):
        make_account(f"user{number}")
    # A platform in use, and statistics that say so (autovacuum's ANALYZE): with them the
    # server judged the old statements' custom plans cheaper than their generic ones.
    load_history(engine, PAST, first_shop=1_000, first_account=1_000)
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()

    for number in range(LINKS):
        shop, account = f"Shop {number // 4}", f"user{number}"
        assert search_accounts(uow(), account)[0]["username"] == account
        link = new_link(uow(), shop, account, T0)
        assert [i["id"] for i in pending_invitations(uow(), account, T0)] == [link["id"]]
        assert accept_link(uow(), link["id"], account, T0)["state"] == "linked"
        # and what a seller reads around it: the shop, its tab, its links, the link
        assert show_shop(uow(), shop, T0)["name"] == shop
        assert account in str(marketing_tab(uow(), shop, T0))
        assert link["id"] in [listed["id"] for listed in list_links(uow(), T0, shop_ref=shop)]
        assert show_link(uow(), link["id"], T0)["state"] == "linked"

    assert engine.pool.checkedin() == 1  # every call above ran on this one connection
    with engine.connect() as connection:
        prepared = connection.exec_driver_sql(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        ).all()
    assert len(prepared) >= 10  # the link's statements were prepared
    planned_every_time = [row.statement for row in prepared if row.custom_plans > 5]
    assert planned_every_time == []
