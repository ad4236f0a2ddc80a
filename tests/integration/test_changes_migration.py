"""Migration 0007 on a database with history: accounts ever linked are Business accounts,
every account counts as verified, and the outbox keeps its rows and its trigger."""

from __future__ import annotations

import pytest

from shoplink.workflows.accounts import search_accounts
from shoplink.workflows.errors import Refused
from shoplink.workflows.links import new_link
from shoplink.workflows.outbox import read_events
from tests.conftest import T0
from tests.integration.flows import linked, migrate


def test_upgrading_marks_linked_accounts_business_and_keeps_the_outbox(make_shop, make_account,
                                                                       engine, uow):
    make_shop("Acme")
    make_account("ava")
    make_account("ben")
    linked(uow, "Acme", "ava", T0)
    new_link(uow(), "Acme", "ben", T0)
    migrate(engine, "0005", down=True)
    migrate(engine, "head")
    flags = {name: (a["business"], a["identity_verified"])
             for name in ("ava", "ben") for a in search_accounts(uow(), name, 1)}
    assert flags == {"ava": (True, True), "ben": (False, True)}
    assert len(read_events(uow(), 0, 100)) == 7  # 4 + 3; the upgrade event went with 0007
    with pytest.raises(Refused):  # rejected: its two events are still written by the trigger
        new_link(uow(), "Acme", "ben", T0)
    assert len(read_events(uow(), 0, 100)) == 9
