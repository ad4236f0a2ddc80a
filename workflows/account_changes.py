"""Changing an account already in the directory: what an update must respect, and its audit.

An account keeps its username (TikTok offers no username change). The official account's
nickname must keep matching its shop's name, and an account cannot move region while its
links hold slots. Every change is audited; a banned or unverified account keeps its links.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from shoplink.workflows import audit, rules
from shoplink.workflows.audit import OPERATOR
from shoplink.workflows.errors import Refused
from shoplink.workflows.models import Account, Link, Shop
from shoplink.workflows.uow import UnitOfWork

__all__ = ["OPERATOR", "update"]


def update(uow: UnitOfWork, account: Account, clean: dict[str, Any], now: datetime,
           actor: str, action: str = "update") -> dict[str, dict[str, Any]]:
    """Apply validated fields to a locked account, or refuse; returns what changed.

    Only the account is locked: link commands lock a shop, then the account, so a link
    racing this update either sees the new values or is seen by the region check.
    """
    wanted = {k: v for k, v in clean.items() if k != "username"}
    violations = []
    if "nickname" in wanted and wanted["nickname"] != account.nickname:
        official_of = uow.session.execute(
            sa.select(Shop).where(Shop.official_account_id == account.id)).unique().scalar()
        violations += rules.official_nickname_kept(account, wanted["nickname"], official_of)
    if "region" in wanted and wanted["region"] != account.region:
        held = rules.links_holding_slots(uow.session, Link.account_id == account.id, now)
        violations += rules.region_change_blocked(f"@{account.username}", wanted["region"], held)
    if violations:
        raise Refused(violations)
    changes = audit.apply(account, wanted)
    changes.pop("nickname_key", None)
    if changes:
        account.updated_at = now
        audit.record(uow.session, "account", account.id, action, actor, now, changes)
    return changes
