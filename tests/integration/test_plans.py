"""On PostgreSQL a statement a connection has prepared is planned once (a generic plan) or
afresh at every execution (a custom plan), as the server judges from their estimated
costs. A link's statements and the search run often enough to be prepared, and none may
be planned at every execution: the rules' read (an OR of four index ranges) and the
search (its limit bound) once were, about half a millisecond of the server's time each,
a third of what the server spent on a link."""

from __future__ import annotations

import pytest

from shoplink.workflows.accounts import search_accounts
from shoplink.workflows.links import accept_link, new_link
from tests.benchmarks.seed import load_history
from tests.conftest import T0

LINKS = 12  # psycopg prepares a statement at its sixth run, the server decides after five more
PAST = 4_000  # finished links, over 180 days old, on shops and accounts of their own


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # the server's planning
def test_a_links_statements_are_planned_once_per_connection(
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
        assert search_accounts(uow(), f"user{number}")[0]["username"] == f"user{number}"
        link = new_link(uow(), f"Shop {number // 4}", f"user{number}", T0)
        assert accept_link(uow(), link["id"], f"user{number}", T0)["state"] == "linked"

    assert engine.pool.checkedin() == 1  # every call above ran on this one connection
    with engine.connect() as connection:
        prepared = connection.exec_driver_sql(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        ).all()
    assert len(prepared) >= 10  # the link's statements were prepared
    planned_every_time = [row.statement for row in prepared if row.custom_plans > 5]
    assert planned_every_time == []
