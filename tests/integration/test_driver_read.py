"""`db.DriverRead` runs the token read on the driver's own cursor: it must give what
SQLAlchemy's execution gives, on both backends: the same columns by name, times as aware
UTC datetimes, NULLs as None, and no row for an unknown id."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shoplink.workflows.db import single_read
from shoplink.workflows.tokens import _TOKEN_READ, issue_token, revoke_token
from tests.conftest import T0


def test_the_token_read_on_the_drivers_cursor_matches_sqlalchemys(
        engine, uow, make_shop, make_account):
    make_shop("Acme")
    make_account("alice")
    seller = issue_token(uow(), T0, shop_ref="Acme", expires_in="12h")
    account = issue_token(uow(), T0, username="alice")
    revoke_token(uow(), account["id"], T0 + timedelta(minutes=5))

    with single_read(engine) as connection:
        for token_id in (seller["id"], account["id"]):
            expected = connection.execute(_TOKEN_READ.query, {"token_id": token_id}).one()
            found = _TOKEN_READ.first(connection, token_id=token_id)
            assert found._asdict() == expected._asdict()
        assert _TOKEN_READ.first(connection, token_id="0" * 16) is None

        of_seller = _TOKEN_READ.first(connection, token_id=seller["id"])
        of_account = _TOKEN_READ.first(connection, token_id=account["id"])
    assert (of_seller.shop_name, of_seller.username) == ("Acme", None)
    assert of_seller.expires_at == T0 + timedelta(hours=12)
    assert of_seller.expires_at.utcoffset() == timedelta(0)  # aware, in UTC
    assert (of_account.username, of_account.shop_id) == ("alice", None)
    assert of_account.revoked_at == T0 + timedelta(minutes=5)


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
            _TOKEN_READ.first(connection, token_id=seller["id"])
    killer.dispose()
    with single_read(engine) as connection:
        assert connection.connection.driver_connection.info.backend_pid != lost
        assert _TOKEN_READ.first(connection, token_id=seller["id"]).shop_name == "Acme"
