"""`driver.DriverStatement` runs the statements people wait on (the token read, a link's
reads and writes) on the driver's own cursor. It must do what SQLAlchemy's execution does,
on both backends: the same columns by name, times as aware UTC datetimes, JSON as Python
values, NULLs as None, no row for an unknown id, SQLAlchemy's errors, and the engine's
statement listeners hearing every statement."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shoplink.workflows.db import single_read
from shoplink.workflows.driver import DriverStatement
from shoplink.workflows.link_rows import ACCOUNTS, EVENTS, LINKS
from shoplink.workflows.models import AuditEntry
from shoplink.workflows.tokens import _TOKEN_READ, issue_token, revoke_token
from tests.conftest import T0, counted

AUDIT = AuditEntry.__table__


def test_the_token_read_on_the_drivers_cursor_matches_sqlalchemys(
        engine, uow, make_shop, make_account):
    make_shop("Acme")
    make_account("alice")
    seller = issue_token(uow(), T0, shop_ref="Acme", expires_in="12h")
    account = issue_token(uow(), T0, username="alice")
    revoke_token(uow(), account["id"], T0 + timedelta(minutes=5))

    with single_read(engine) as connection:
        for token_id in (seller["id"], account["id"]):
            expected = connection.execute(_TOKEN_READ.statement, {"token_id": token_id}).one()
            found = _TOKEN_READ.first(connection, {"token_id": token_id})
            assert found._asdict() == expected._asdict()
        assert _TOKEN_READ.first(connection, {"token_id": "0" * 16}) is None

        of_seller = _TOKEN_READ.first(connection, {"token_id": seller["id"]})
        of_account = _TOKEN_READ.first(connection, {"token_id": account["id"]})
    assert (of_seller.shop_name, of_seller.username) == ("Acme", None)
    assert of_seller.expires_at == T0 + timedelta(hours=12)
    assert of_seller.expires_at.utcoffset() == timedelta(0)  # aware, in UTC
    assert (of_account.username, of_account.shop_id) == ("alice", None)
    assert of_account.revoked_at == T0 + timedelta(minutes=5)


def test_writes_on_the_drivers_cursor_read_back_as_sqlalchemy_wrote_them(
        engine, make_shop, make_account):
    """An INSERT with RETURNING, an executemany and an UPDATE, with times, JSON, booleans
    and values written into the statement: what SQLAlchemy reads back is what was given."""
    shop_id, account_id = _shop_and_account(engine, make_shop, make_account)
    insert_link = DriverStatement(sa.insert(LINKS).returning(LINKS.c.id))
    add_history = DriverStatement(sa.insert(EVENTS))
    upgrade = DriverStatement(sa.update(ACCOUNTS).where(ACCOUNTS.c.id == sa.bindparam("key"))
                              .values(business=True, updated_at=sa.bindparam("now")))
    audit = DriverStatement(sa.insert(AUDIT))
    fixed = DriverStatement(sa.select(LINKS.c.id).where(LINKS.c.state == "invited",
                                                        LINKS.c.shop_id == sa.bindparam("shop")))
    with engine.begin() as connection:
        link_id = insert_link.scalar(connection, {
            "shop_id": shop_id, "account_id": account_id, "state": "invited",
            "created_at": T0, "invited_at": T0, "expires_at": T0 + timedelta(hours=48)})
        add_history.many(connection, [
            {"link_id": link_id, "event": event, "from_state": source, "to_state": target,
             "actor": "seller", "at": T0, "recorded_at": T0, "details": None}
            for event, source, target in (("search", None, "searched"),
                                          ("verify", "searched", "verified"),
                                          ("invite", "verified", "invited"))])
        upgrade.execute(connection, {"key": account_id, "now": T0 + timedelta(minutes=1)})
        audit.execute(connection, {"subject": "account", "subject_id": account_id,
                                   "action": "business upgrade", "actor": "account:alice",
                                   "at": T0, "changes": {"business": {"from": False, "to": True}}})
        assert fixed.all(connection, {"shop": shop_id}) == [(link_id,)]
        assert fixed.all(connection, {"shop": shop_id + 1}) == []

    with engine.connect() as connection:
        link = connection.execute(sa.select(LINKS).where(LINKS.c.id == link_id)).one()
        events = connection.execute(sa.select(EVENTS.c.event, EVENTS.c.from_state)
                                    .where(EVENTS.c.link_id == link_id)
                                    .order_by(EVENTS.c.id)).all()
        account = connection.execute(sa.select(ACCOUNTS).where(ACCOUNTS.c.id == account_id)).one()
        entry = connection.execute(sa.select(AUDIT.c.changes)
                                   .where(AUDIT.c.subject_id == account_id)).scalar_one()
    assert (link.state, link.expires_at, link.linked_at) == ("invited", T0 + timedelta(hours=48),
                                                             None)
    assert [tuple(e) for e in events] == [("search", None), ("verify", "searched"),
                                          ("invite", "verified")]
    assert (account.business, account.updated_at) == (True, T0 + timedelta(minutes=1))
    assert entry == {"business": {"from": False, "to": True}}


def _shop_and_account(engine, make_shop, make_account) -> tuple[int, int]:
    shop_id = make_shop("Acme")["id"]
    make_account("alice")
    with engine.connect() as connection:
        return shop_id, connection.execute(sa.select(ACCOUNTS.c.id)).scalar_one()


def test_a_unique_key_taken_raises_sqlalchemys_integrity_error(engine, make_shop, make_account):
    """Rule 6's index (one open link per shop and account) refuses the second, as an
    IntegrityError, the error the race paths catch, not the driver's own class."""
    shop_id, account_id = _shop_and_account(engine, make_shop, make_account)
    values = {"shop_id": shop_id, "account_id": account_id, "state": "invited",
              "created_at": T0}
    insert_link = DriverStatement(sa.insert(LINKS))
    with engine.begin() as connection:
        insert_link.execute(connection, values)
    with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
        insert_link.execute(connection, values)


def test_the_engines_statement_listeners_hear_every_statement(engine, make_shop):
    """The tests count statements, and the debug timing times them, through the engine's
    listeners: a statement on the driver's cursor is heard like any other."""
    make_shop("Acme")
    read = DriverStatement(sa.select(ACCOUNTS.c.id).where(ACCOUNTS.c.username == "nobody"))
    with counted(engine) as sent, engine.connect() as connection:
        assert read.first(connection, {}) is None
        read.all(connection, {})
    assert sent == [read.statement.compile(dialect=engine.dialect).string] * 2


def test_a_statement_that_needs_python_side_defaults_is_refused(engine):
    """A column left out whose default SQLAlchemy computes in Python would be written as
    NULL or missing here: such a statement is refused before it runs."""
    without_business = DriverStatement(sa.insert(ACCOUNTS))
    with engine.begin() as connection, pytest.raises(ValueError, match="Python-side"):
        without_business.execute(connection, {"username": "alice", "created_at": T0,
                                               "updated_at": T0})


def test_a_statement_with_an_in_list_to_expand_is_refused(engine):
    """SQLAlchemy expands `IN (:list)` at each execution; here it would reach the driver
    unexpanded, so such a statement is refused before it runs."""
    listed = DriverStatement(sa.select(LINKS.c.id).where(
        LINKS.c.state.in_(sa.bindparam("states", expanding=True))))
    with engine.connect() as connection, pytest.raises(ValueError, match="IN list"):
        listed.all(connection, {"states": ["invited", "linked"]})


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # a server to lose
def test_a_connection_postgresql_dropped_is_replaced_for_the_next_token_read(
        engine, uow, make_shop):
    """A dropped connection raises SQLAlchemy's error and leaves the pool, as a statement
    through SQLAlchemy would: the next request authenticates on a fresh connection."""
    make_shop("Acme")
    seller = issue_token(uow(), T0, shop_ref="Acme")
    killer = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    with single_read(engine) as connection:  # dropped while checked out: no ping saves it
        lost = connection.connection.driver_connection.info.backend_pid
        with killer.connect() as other:  # waits (up to 5 s) until the backend has gone
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(lost)}, 5000)")
        with pytest.raises(sa.exc.OperationalError):
            _TOKEN_READ.first(connection, {"token_id": seller["id"]})
    killer.dispose()
    with single_read(engine) as connection:
        assert connection.connection.driver_connection.info.backend_pid != lost
        assert _TOKEN_READ.first(connection, {"token_id": seller["id"]}).shop_name == "Acme"
