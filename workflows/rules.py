"""The linking rules of SPEC section 3: each returns the violations it finds, never raises.

Counts treat overdue rows by their deadlines, so they are right whether or not the
daemon has swept: an invitation past `expires_at` holds nothing, a link counts
toward the 180 days while `now < linked_at + 180 days`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows.clock import as_utc, iso
from shoplink.workflows.driver import driven
from shoplink.workflows.errors import Violation
from shoplink.workflows.limits import (
    ADULT_AGE,
    LINK_WINDOW,
    MAX_LINKS_IN_WINDOW,
    MAX_MARKETING_ACCOUNTS,
)
from shoplink.workflows.lookup import ended_only, literal_name, open_only, states_in
from shoplink.workflows.machine import HOLDING_STATES, OPEN_STATES, SLOT_STATES
from shoplink.workflows.models import Account, Link, Shop
from shoplink.workflows.types import UTCDateTime
from shoplink.workflows.validate import NICKNAME_LIMIT

When = datetime | sa.ColumnElement[datetime]


def _at(now: When) -> sa.ColumnElement[datetime]:
    """A time as SQL: a datetime bound as a literal, a bound parameter left as it is."""
    return now if isinstance(now, sa.ColumnElement) else sa.literal(now, UTCDateTime())


def pending_invitation(now: When) -> sa.ColumnElement[bool]:
    return sa.and_(Link.state == literal_name("invited"), open_only(), Link.expires_at > _at(now))


def holds_slot(now: When) -> sa.ColumnElement[bool]:
    """Links in `invited` (not yet past expiry), `linked` and `unlinkable` hold a slot.

    Written with `open_only` first, so a shop's read goes through the unique index of
    open links (its few open rows), not through every past link of the shop.
    """
    return sa.and_(open_only(), states_in(SLOT_STATES),
                   sa.or_(Link.state != literal_name("invited"), Link.expires_at > _at(now)))


def is_open(now: When) -> sa.ColumnElement[bool]:
    return sa.or_(
        states_in([s for s in OPEN_STATES if s != "invited"]), pending_invitation(now)
    )


def window_entries(session: Session | sa.Connection, owner: str, key: int, now: datetime,
                   exclude: int | None = None) -> list[tuple[datetime, bool]]:
    """Each link of the shop or account (`owner` is "shop_id" or "account_id", `key` its id)
    counted in the 180-day window: when it stops counting, and whether it is a pending
    invitation (which stops counting sooner if it ends unanswered), soonest first.

    A link linked within the window counts until `linked_at + 180 days`; a pending
    invitation counts until it ends, at `expires_at` at the latest.
    """
    params = {"key": key, "now": now, "since": now - LINK_WINDOW, "exclude": exclude}
    entries = []
    for linked_at, expires_at in driven(_window_query(owner, exclude is not None)).all(
            session, params):
        if linked_at is not None:
            entries.append((linked_at + LINK_WINDOW, False))
        elif expires_at is not None:  # always: a pending invitation has its expires_at
            entries.append((expires_at, True))
    return sorted(entries)


@functools.cache
def _window_query(owner: str, excluding: bool) -> sa.CompoundSelect:
    """Built once. Two disjoint reads (a pending invitation has no linked_at), each on its
    own index, rather than one OR that would scan every past link of the shop or account."""
    now = sa.bindparam("now", type_=UTCDateTime())
    since = sa.bindparam("since", type_=UTCDateTime())
    reads = []
    for counted in (Link.linked_at > since, pending_invitation(now)):
        read = sa.select(Link.linked_at, Link.expires_at).where(
            getattr(Link, owner) == sa.bindparam("key"), counted)
        reads.append(read.where(Link.id != sa.bindparam("exclude")) if excluding else read)
    return sa.union_all(*reads)


def window_releases(session: Session | sa.Connection, owner: str, key: int, now: datetime,
                    exclude: int | None = None) -> list[datetime]:
    """When each link counted in the 180-day window stops counting, soonest first."""
    return [release for release, _ in window_entries(session, owner, key, now, exclude)]


def adult_from(born: date) -> date | None:
    """The 18th birthday; a 29 February birth comes of age on 1 March in a common year.

    None when the calendar ends before it (a stored date near year 9999): never adult."""
    year = born.year + ADULT_AGE
    if year > date.max.year:
        return None
    try:
        return born.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def name_key(text: str) -> str:
    """Case-folded, with every character that is not a letter or digit dropped."""
    return "".join(c for c in text.casefold() if c.isalnum())


def shop_in_probation(shop: Shop, now: datetime) -> list[Violation]:
    if shop.probation_ends_at is not None and now < shop.probation_ends_at:
        return [Violation("shop_in_probation",
                          f"shop {shop.name!r} is in probation until "
                          f"{iso(shop.probation_ends_at)}")]
    return []


def account_ineligible(account: Account, shop: Shop, now: datetime) -> list[Violation]:
    """Every reason names its subject: the account, or the shop it is compared with."""
    who = f"@{account.username}"
    reasons = []
    if not account.identity_verified:
        reasons.append(f"{who} has not passed identity verification")
    if account.status != "active":
        reasons.append(f"{who} is {account.status}")
    if account.region != shop.region:
        reasons.append(f"{who} is in region {account.region} while shop {shop.name!r} is in "
                       f"{shop.region}")
    if account.birth_date is not None:
        adult = adult_from(account.birth_date)
        if adult is None:
            reasons.append(f"{who} is under {ADULT_AGE} (born {account.birth_date})")
        elif as_utc(now).date() < adult:
            reasons.append(f"{who} is under {ADULT_AGE} until {adult}")
    if not reasons:
        return []
    return [Violation("account_ineligible", "; ".join(reasons))]


@dataclass(frozen=True)
class Neighbours:
    """The links that three rules count, read in one query: those of the shop or of the
    account that hold a slot, count in the 180-day window or are open (the link being
    checked left out)."""

    rows: list[Any]
    shop_id: int
    account_id: int
    now: datetime

    @classmethod
    def read(cls, session: Session | sa.Connection, shop: Any, account: Any, now: datetime,
             link_id: int | None) -> Neighbours:
        rows = driven(_neighbours_query(link_id is not None)).all(session, {
            "shop_id": shop.id, "account_id": account.id, "link_id": link_id,
            "now": now, "since": now - LINK_WINDOW,
        })
        return cls(rows, shop.id, account.id, now)

    def _pending(self, row: Any) -> bool:
        return row.state == "invited" and row.expires_at > self.now

    def slots(self) -> int:
        """As `holds_slot`: the shop's links in a holding state or pending invitations."""
        return sum(1 for row in self.rows if row.shop_id == self.shop_id
                   and (row.state in HOLDING_STATES or self._pending(row)))

    def window(self, of_shop: bool) -> list[tuple[datetime, bool]]:
        """As `window_entries`, for the shop or for the account."""
        entries = []
        for row in self.rows:
            if (row.shop_id == self.shop_id) if of_shop else (row.account_id == self.account_id):
                if row.linked_at is not None and row.linked_at > self.now - LINK_WINDOW:
                    entries.append((row.linked_at + LINK_WINDOW, False))
                elif row.linked_at is None and self._pending(row):
                    entries.append((row.expires_at, True))
        return sorted(entries)

    def open_link(self) -> Any | None:
        """As `is_open`: another open link between this shop and this account."""
        for row in self.rows:
            if row.shop_id == self.shop_id and row.account_id == self.account_id and (
                    (row.state in OPEN_STATES and row.state != "invited") or self._pending(row)):
                return row
        return None


@functools.cache
def _neighbours_query(excluding_link: bool) -> sa.CompoundSelect:
    """Built once: its bound parameters are the shop, the account, the link and the times.

    Every link it wants is open or linked within the window, so it reads the shop's and
    the account's links by four index ranges, their open links (the shop's through the
    unique index of open links, the account's through (account_id, state)) and
    (owner, linked_at) over the window: never the past links of either (rejected,
    expired, long unlinked), which grow with every refused attempt.

    The four are disjoint reads joined by UNION ALL, not one WHERE of four OR-ed ranges:
    PostgreSQL plans the statement once per connection (a generic plan), where it planned
    the OR-ed form afresh at every execution (it judged those custom plans cheaper),
    about 0.5 ms of the server's time each, twice a link.
    """
    now = sa.bindparam("now", type_=UTCDateTime())
    linked_recently = Link.linked_at > sa.bindparam("since", type_=UTCDateTime())
    # Open both ways: `open_only` for the shop's arm (the unique index of open links),
    # the open states for the account's (its index on account and state).
    counted_open = sa.and_(open_only(), states_in(OPEN_STATES),
                           sa.or_(holds_slot(now), is_open(now), linked_recently))
    counted_ended = sa.and_(ended_only(), linked_recently)
    shop_id = sa.bindparam("shop_id", type_=sa.Integer())
    account_id = sa.bindparam("account_id", type_=sa.Integer())
    arms = []
    # The shop's links, then the account's in other shops: no link is read twice.
    for mine in (Link.shop_id == shop_id,
                 sa.and_(Link.account_id == account_id, Link.shop_id != shop_id)):
        for counted in (counted_open, counted_ended):
            arm = sa.select(Link.id, Link.shop_id, Link.account_id, Link.state,
                            Link.linked_at, Link.expires_at).where(mine, counted)
            arms.append(arm.where(Link.id != sa.bindparam("link_id")) if excluding_link
                        else arm)
    return sa.union_all(*arms).order_by("id")


def marketing_account_limit(shop: Shop, found: Neighbours) -> list[Violation]:
    used = found.slots()
    if used + 1 <= MAX_MARKETING_ACCOUNTS:
        return []
    return [Violation("marketing_account_limit",
                      f"shop {shop.name!r} already has {used} of {MAX_MARKETING_ACCOUNTS} "
                      "marketing accounts (invitations included)")]


def link_change_limit(shop: Shop, account: Account, found: Neighbours) -> list[Violation]:
    violations = []
    for who, of_shop in ((f"shop {shop.name!r}", True), (f"account @{account.username}", False)):
        entries = found.window(of_shop)
        if len(entries) + 1 <= MAX_LINKS_IN_WINDOW:
            continue
        violations.append(Violation("link_change_limit", f"{who} {_window_full(entries)}"))
    return violations


def _window_full(entries: list[tuple[datetime, bool]]) -> str:
    """Says how full the window is and when a slot frees up for certain (or may sooner)."""
    linked = [release for release, pending in entries if not pending]
    pending = [release for release, is_pending in entries if is_pending]
    must_leave = len(entries) - MAX_LINKS_IN_WINDOW + 1
    counted = f"{len(entries)} counted" + (f", {len(pending)} of them pending invitations"
                                           if pending else "")
    text = f"is at its limit of {MAX_LINKS_IN_WINDOW} links in 180 days ({counted}); "
    if must_leave <= len(linked):
        text += f"a slot frees up at {iso(linked[must_leave - 1])}"
        if pending:
            text += f", or sooner if a pending invitation ends unanswered (the first " \
                    f"expires at {iso(pending[0])})"
        return text
    return text + (f"a slot frees up only when a pending invitation ends unanswered "
                   f"(the first expires at {iso(pending[0])})")


def official_account_conflict(shop: Shop, account: Account) -> list[Violation]:
    if shop.official_account_id == account.id:
        return [Violation("official_account_conflict",
                          f"@{account.username} is the official account of shop {shop.name!r}")]
    return []


def already_linked(shop: Shop, account: Account, found: Neighbours) -> list[Violation]:
    other = found.open_link()
    if other is None:
        return []
    return [Violation("already_linked",
                      f"@{account.username} already has link {other.id} ({other.state}) "
                      f"to shop {shop.name!r}")]


def for_marketing_link(session: Session | sa.Connection, shop: Any, account: Any, now: datetime,
                       link_id: int | None = None) -> list[Violation]:
    """Every rule a link must pass to be verified, invited or accepted, in rule order; the
    links they count are read in one query."""
    found = Neighbours.read(session, shop, account, now, link_id)
    return [
        *shop_in_probation(shop, now),
        *marketing_account_limit(shop, found),
        *link_change_limit(shop, account, found),
        *official_account_conflict(shop, account),
        *already_linked(shop, account, found),
        *account_ineligible(account, shop, now),
    ]


def for_official_account(session: Session, shop: Shop, account: Account,
                         now: datetime) -> list[Violation]:
    """An official account matches the shop name, is nobody else's, and is not marketing."""
    found = []
    expected = name_key(shop.name)
    # A name with no letter or digit ("!!!") leaves nothing to match, so nothing matches it.
    if not expected or {name_key(account.username), name_key(account.nickname)} != {expected}:
        found.append(Violation("official_name_mismatch",
                               f"@{account.username} ({account.nickname!r}): username and "
                               f"nickname must both match the shop name {shop.name!r}"))
    taken_by = session.execute(
        sa.select(Shop.name).where(Shop.official_account_id == account.id, Shop.id != shop.id)
    ).scalar()
    if taken_by is not None:
        found.append(Violation("official_account_taken",
                               f"@{account.username} is already the official account of "
                               f"shop {taken_by!r}"))
    marketing = session.execute(
        sa.select(Link.id).where(Link.shop_id == shop.id, Link.account_id == account.id,
                                 holds_slot(now)).limit(1)
    ).scalar()
    if marketing is not None:
        found.append(Violation("official_account_conflict",
                               f"@{account.username} is a marketing account of shop "
                               f"{shop.name!r} (link {marketing})"))
    if account.status != "active":
        found.append(Violation("account_ineligible", f"@{account.username} is {account.status}"))
    return found


def links_holding_slots(session: Session, owner: sa.ColumnElement[bool],
                        now: datetime) -> list[Link]:
    """The links of a shop or an account that hold a slot at `now`, oldest first."""
    query = sa.select(Link).where(owner, holds_slot(now)).order_by(Link.id)
    return list(session.execute(query).unique().scalars())


def region_change_blocked(who: str, region: str, held: list[Link]) -> list[Violation]:
    """A region change never strands a live link in another region: refused while any holds
    a slot, naming them."""
    if not held:
        return []
    named = ", ".join(f"link {link.id} ({link.shop.name!r}, @{link.account.username}, "
                      f"{link.state})" for link in held)
    return [Violation("region_change_blocked",
                      f"{who} cannot move to region {region} while links hold slots: {named}; "
                      "cancel or unlink them first")]


def official_follows_rename(shop: Shop, new_name: str, official: Account) -> list[Violation]:
    """A rename keeps the official account matching: its nickname follows the new name, but
    its username cannot change, so the new name must still match it and fit a nickname."""
    if name_key(new_name) != name_key(official.username) or not name_key(new_name):
        return [Violation("official_name_mismatch",
                          f"the new name {new_name!r} does not match the official account "
                          f"@{official.username} of shop {shop.name!r} (usernames cannot "
                          "change): unset the official account first")]
    if len(new_name) > NICKNAME_LIMIT:
        return [Violation("official_name_mismatch",
                          f"the new name {new_name!r} is longer than the {NICKNAME_LIMIT} "
                          f"characters the official account @{official.username}'s nickname "
                          "can hold: unset the official account first")]
    return []


def official_nickname_kept(account: Account, nickname: str,
                           shop: Shop | None) -> list[Violation]:
    """The official account's nickname must keep matching its shop's name."""
    if shop is None or name_key(nickname) == name_key(shop.name):
        return []
    return [Violation("official_name_mismatch",
                      f"@{account.username} is the official account of shop {shop.name!r}: "
                      f"its nickname must match the shop name, {nickname!r} does not")]
