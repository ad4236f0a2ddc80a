"""Migration 0010 on a database with history: the unique index of open links says "open"
by `ended_at`, so a link that ended without one is mended first, and the index still
refuses a second open link for a shop and account and lets an ended one be."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shoplink.workflows.links import decline_link, new_link
from shoplink.workflows.models import Link, LinkEvent
from tests.conftest import T0
from tests.integration.flows import linked, migrate


def test_upgrading_mends_an_ended_link_without_ended_at_and_keeps_open_links_unique(
        make_shop, make_account, engine, uow):
    make_shop("Acme")
    for name in ("ava", "ben", "cleo"):
        make_account(name)
    linked(uow, "Acme", "ava", T0)
    open_invitation = new_link(uow(), "Acme", "ben", T0)
    declined = new_link(uow(), "Acme", "cleo", T0)
    decline_link(uow(), declined["id"], "cleo", T0)
    migrate(engine, "0009", down=True)
    with engine.begin() as connection:  # a row written before every ending set ended_at
        connection.execute(sa.update(Link).where(Link.id == declined["id"]).values(ended_at=None))
    migrate(engine, "head")

    with engine.connect() as connection:
        ended_at = connection.execute(
            sa.select(Link.ended_at).where(Link.id == declined["id"])).scalar_one()
        declined_at = connection.execute(sa.select(sa.func.max(LinkEvent.at)).where(
            LinkEvent.link_id == declined["id"])).scalar_one()
    assert ended_at == declined_at == T0
    assert new_link(uow(), "Acme", "cleo", T0)["state"] == "invited"  # the ended link is out
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        pair = connection.execute(sa.select(Link.shop_id, Link.account_id).where(
            Link.id == open_invitation["id"])).one()
        connection.execute(sa.insert(Link).values(  # the open invitation is in
            shop_id=pair.shop_id, account_id=pair.account_id, state="searched", created_at=T0))


def test_the_migration_goes_down_and_up_again(make_shop, make_account, engine, uow):
    make_shop("Acme")
    make_account("ava")
    linked(uow, "Acme", "ava", T0)
    migrate(engine, "0009", down=True)
    migrate(engine, "head")
    indexes = {index["name"] for index in sa.inspect(engine).get_indexes("links")}
    assert {"uq_links_open_shop_account", "ix_links_shop_ended"} <= indexes
    assert "ix_links_shop_state" not in indexes
