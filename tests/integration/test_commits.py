"""One rule for commits: a refusal never commits; caught-up timers commit on their own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoplink.workflows.errors import Refused
from shoplink.workflows.links import accept_link, cancel_link, new_link, show_link, unlink_link
from shoplink.workflows.products import add_product
from shoplink.workflows.showcase import add_to_showcase
from shoplink.workflows.uow import UnitOfWork
from tests.conftest import T0

HOUR = timedelta(hours=1)


class Counting(UnitOfWork):
    """The command's unit of work, counting its commits."""

    commits = 0

    def commit(self) -> None:
        Counting.commits += 1
        super().commit()


@pytest.mark.parametrize("refused", ["unlink too early", "cancel linked", "accept expired",
                                     "showcase while invited"])
def test_a_refusal_never_commits_the_commands_transaction(engine, make_shop, make_account,
                                                          uow, refused):
    make_shop("Acme")
    make_account("ann")
    add_product(uow(), "Acme", "MUG", T0, title="Mug")
    link = new_link(uow(), "Acme", "ann", T0)["id"]
    if refused in ("unlink too early", "cancel linked"):
        accept_link(uow(), link, "ann", T0)
    calls = {
        "unlink too early": lambda u: unlink_link(u, link, T0 + HOUR),
        "cancel linked": lambda u: cancel_link(u, link, T0 + HOUR),
        "accept expired": lambda u: accept_link(u, link, "ann", T0 + 49 * HOUR),
        "showcase while invited": lambda u: add_to_showcase(u, link, ["MUG"], T0 + HOUR),
    }
    Counting.commits = 0
    with pytest.raises(Refused):
        calls[refused](Counting(engine))
    assert Counting.commits == 0
    if refused == "accept expired":  # the caught-up expiry was kept, by its own commit
        assert show_link(uow(), link, T0 + 49 * HOUR)["state"] == "expired"
