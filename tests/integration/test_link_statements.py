"""A link (search, new, accept) costs at most 11 SQL statements on either backend: SQLite's
BEGIN IMMEDIATE holds every row it reads; PostgreSQL locks the shop, the account and the
link with FOR UPDATE, and writes a link with its new history in one statement. What the
hot path sends to the database, counted by a SQLAlchemy listener, transaction control
left out. The account is already a Business
account: its first link ever costs four statements more (SPEC section 10's upgrade: the
account, its audit entry, a history row and an outbox event). The reads people wait on
most, the tab, the shop and a link, are counted the same way."""

from __future__ import annotations

from shoplink.workflows.accounts import search_accounts
from shoplink.workflows.links import accept_link, new_link, show_link
from shoplink.workflows.marketing import marketing_accounts
from shoplink.workflows.shops import show_shop
from tests.conftest import T0, counted

MOST_STATEMENTS = {"sqlite": 11, "postgresql": 11}


def test_a_link_from_search_to_accepted_takes_few_statements(
        engine, backend, uow, make_shop, make_account):
    make_shop("Acme")
    make_shop("Bravo")
    for name in ("alice", "bob"):
        make_account(name)
    new_link(uow(), "Acme", "bob", T0)  # the shop has a link already: the rules count it
    earlier = new_link(uow(), "Bravo", "alice", T0)
    accept_link(uow(), earlier["id"], "alice", T0)  # alice is a Business account now

    with counted(engine) as sent:
        found = search_accounts(uow(), "alice")
        link = new_link(uow(), "Acme", found[0]["username"], T0)
        accepted = accept_link(uow(), link["id"], "alice", T0)

    assert accepted["state"] == "linked"
    assert len(sent) <= MOST_STATEMENTS[backend], "\n".join(s.split("\n")[0] for s in sent)


def test_the_tab_the_shop_and_a_link_ask_for_overdue_timers_in_their_first_read(
        engine, uow, make_shop, make_account):
    """A read with nothing overdue: the tab is one statement (the shop with its overdue
    question and its slot holders), the shop three (the shop, its counts, its window), a
    link three (its shop with the overdue question, the link, its history)."""
    make_shop("Acme")
    make_account("alice")
    new_link(uow(), "Acme", "alice", T0)
    with counted(engine) as tab_sent:
        tab = marketing_accounts(uow(), "Acme", T0)
    with counted(engine) as shop_sent:
        shop = show_shop(uow(), "Acme", T0)
    with counted(engine) as link_sent:
        link = show_link(uow(), tab[0]["id"], T0)
    assert [link["state"] for link in tab] == ["invited"]
    assert shop["marketing_accounts"] == 1
    assert link["state"] == "invited"
    assert len(tab_sent) == 1, "\n".join(s.split("\n")[0] for s in tab_sent)
    assert len(shop_sent) == 3, "\n".join(s.split("\n")[0] for s in shop_sent)
    assert len(link_sent) == 3, "\n".join(s.split("\n")[0] for s in link_sent)
