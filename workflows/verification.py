"""What the seller sees at step 2 of "Link new marketing account": every criterion checked
at verification, each passed or failed in words, read from the link's `verify` history row.

The rules themselves live in rules.py; this only names them for a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shoplink.workflows import lookup
from shoplink.workflows.errors import NotFound
from shoplink.workflows.models import Link
from shoplink.workflows.timers import read_link_shop
from shoplink.workflows.uow import UnitOfWork
from shoplink.workflows.views import link_view

# The rules of `rules.for_marketing_link`, in its order, each with what passing means.
CRITERIA = (
    ("shop_in_probation", "The shop is not in probation"),
    ("marketing_account_limit", "The shop has a free marketing account slot (4 at most)"),
    ("link_change_limit", "Fewer than 10 links in the last 180 days, for the shop and "
                          "for the account"),
    ("official_account_conflict", "The account is not the shop's official account"),
    ("already_linked", "The account has no other open link to this shop"),
    ("account_ineligible", "The account has passed identity verification, is active, in "
                           "the shop's region and 18 or older"),
)


def criteria(failed: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Each criterion with `passed` and, when it failed, the rule's messages."""
    report = []
    for code, words in CRITERIA:
        messages = [f["message"] for f in failed if f["code"] == code]
        report.append({"code": code, "criterion": words, "passed": not messages,
                       "reasons": messages})
    return report


def verification(uow: UnitOfWork, raw_id: str | int, now: datetime, *,
                 shop_id: int | None = None) -> dict[str, Any]:
    """The link (of `shop_id`, when given) with the criteria of its verification."""
    key = lookup.link_id(raw_id)
    with uow.reading():
        read_link_shop(uow, key, now)
        link = uow.session.execute(sa.select(Link).where(Link.id == key)).unique().scalar_one()
        if shop_id is not None and link.shop_id != shop_id:
            raise NotFound(f"no link {key}")
        verify = next((e for e in link.history if e.event == "verify"), None)
        if verify is None:
            raise NotFound(f"link {key} has not been verified")
        view = link_view(link, history=True)
        view["criteria"] = criteria((verify.details or {}).get("rules", []))
        return view
