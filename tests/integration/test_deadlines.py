"""Every deadline, with the clock frozen one second before it, at it, and one second after.

A deadline has passed at the instant it is reached (SPEC section 3, Boundaries).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shoplink.workflows.clock import iso
from shoplink.workflows.errors import BadInput
from shoplink.workflows.links import (
    accept_link,
    cancel_link,
    decline_link,
    invite_link,
    new_link,
    show_link,
    unlink_link,
)
from tests.conftest import T0
from tests.integration.flows import (
    DAY,
    SECOND,
    clock,
    codes,
    link_history,
    linked,
    now,
    raw_link,
    refused,
)

ZERO = timedelta(0)
HOUR = timedelta(hours=1)
AROUND = pytest.mark.parametrize("offset", [ZERO, SECOND], ids=["at", "after"])


@pytest.fixture
def acme(make_shop, make_account):
    make_shop("Acme")
    make_account("alice")


def test_unlinking_is_refused_one_second_before_the_24_hour_lock_ends(acme, uow):
    with clock(T0) as frozen:
        link = linked(uow, "Acme", "alice", now())
        before = raw_link(uow, link["id"])
        frozen.move_to(T0 + DAY - SECOND)
        error = refused(lambda: unlink_link(uow(), link["id"], now()))
    assert codes(error) == ["unlink_too_early"]
    assert error.message == (f"link {link['id']} can be unlinked from {iso(T0 + DAY)}, "
                             "24 hours after it was linked")
    assert raw_link(uow, link["id"]) == before == ("linked", 4)


@AROUND
def test_unlinking_is_allowed_from_unlockable_at_and_the_unlock_is_dated_at_it(acme, uow, offset):
    with clock(T0) as frozen:
        link = linked(uow, "Acme", "alice", now())
        frozen.move_to(T0 + DAY + offset)
        done = unlink_link(uow(), link["id"], now())
    assert done["state"] == "unlinked"
    unlock, unlink = done["history"][-2:]
    assert (unlock["event"], unlock["actor"], unlock["at"], unlock["recorded_at"]) == (
        "unlock", "system", iso(T0 + DAY), iso(T0 + DAY + offset))
    assert (unlink["event"], unlink["at"]) == ("unlink", iso(T0 + DAY + offset))


def test_an_invitation_can_be_accepted_one_second_before_it_expires(acme, uow):
    with clock(T0) as frozen:
        link = new_link(uow(), "Acme", "alice", now())
        assert link["expires_at"] == iso(T0 + 48 * HOUR)
        frozen.move_to(T0 + 48 * HOUR - SECOND)
        assert accept_link(uow(), link["id"], "alice", now())["state"] == "linked"


@AROUND
def test_an_invitation_is_expired_from_expires_at_and_the_refusal_keeps_only_the_expiry(
        acme, uow, offset):
    with clock(T0) as frozen:
        link = new_link(uow(), "Acme", "alice", now())
        frozen.move_to(T0 + 48 * HOUR + offset)
        error = refused(lambda: accept_link(uow(), link["id"], "alice", now()))
        assert codes(error) == ["invitation_expired"]
        assert f"expired at {iso(T0 + 48 * HOUR)}" in error.message
        error = refused(lambda: decline_link(uow(), link["id"], "alice", now()))
        assert codes(error) == ["invitation_expired"]
        shown = show_link(uow(), link["id"], now())
    assert shown["state"] == "expired"
    assert shown["ended_at"] == iso(T0 + 48 * HOUR)
    events = [(e["event"], e["actor"], e["at"], e["recorded_at"]) for e in shown["history"]]
    assert events[-1] == ("expire", "system", iso(T0 + 48 * HOUR), iso(T0 + 48 * HOUR + offset))
    assert [e[0] for e in events] == ["search", "verify", "invite", "expire"]


@pytest.mark.parametrize("how", ["new", "invite"])
def test_the_invitation_ttl_can_be_configured(acme, make_account, uow, how):
    ttl = timedelta(hours=2)
    make_account("bob")

    def invite(username):
        if how == "new":
            return new_link(uow(), "Acme", username, now(), ttl=ttl)
        verified = new_link(uow(), "Acme", username, now(), invite=False)
        return invite_link(uow(), verified["id"], now(), ttl=ttl)

    with clock(T0) as frozen:
        first, second = invite("alice"), invite("bob")
        assert first["expires_at"] == iso(T0 + ttl)
        frozen.move_to(T0 + ttl - SECOND)
        assert accept_link(uow(), first["id"], "alice", now())["state"] == "linked"
        frozen.move_to(T0 + ttl)
        error = refused(lambda: accept_link(uow(), second["id"], "bob", now()))
    assert codes(error) == ["invitation_expired"]


@pytest.mark.parametrize("ttl", [timedelta(0), -HOUR])
def test_an_invitation_ttl_that_is_not_positive_is_bad_input_and_writes_nothing(acme, uow, ttl):
    with pytest.raises(BadInput, match="TTL must be positive"):
        new_link(uow(), "Acme", "alice", T0, ttl=ttl)
    verified = new_link(uow(), "Acme", "alice", T0, invite=False)
    with pytest.raises(BadInput, match="TTL must be positive"):
        invite_link(uow(), verified["id"], T0, ttl=ttl)
    assert raw_link(uow, verified["id"]) == ("verified", 2)


WINDOW = timedelta(days=180)


def test_a_shop_links_at_most_10_times_in_180_days(make_shop, make_account, uow):
    make_shop("Acme")
    names = [make_account()["username"] for _ in range(12)]
    with clock(T0) as frozen:
        link_history(uow, "Acme", names[:10], now())  # linked at T0, T0 + 1 day, ...
        frozen.move_to(T0 + WINDOW - SECOND)
        error = refused(lambda: new_link(uow(), "Acme", names[10], now()))
        assert codes(error) == ["link_change_limit"]
        assert error.violations[0].message == (
            "shop 'Acme' is at its limit of 10 links in 180 days (10 counted); "
            f"a slot frees up at {iso(T0 + WINDOW)}")
        frozen.move_to(T0 + WINDOW)
        at_the_instant = new_link(uow(), "Acme", names[10], now())
        assert at_the_instant["state"] == "invited"
        cancel_link(uow(), at_the_instant["id"], now())
        frozen.move_to(T0 + WINDOW + SECOND)
        assert new_link(uow(), "Acme", names[11], now())["state"] == "invited"


def test_an_account_links_at_most_10_times_in_180_days_across_shops(make_shop, make_account,
                                                                    uow):
    make_account("alice")
    shops = [make_shop()["name"] for _ in range(12)]
    with clock(T0) as frozen:
        for number, shop in enumerate(shops[:10]):
            frozen.move_to(T0 + number * HOUR)
            linked(uow, shop, "alice", now())
        frozen.move_to(T0 + WINDOW - SECOND)
        error = refused(lambda: new_link(uow(), shops[10], "alice", now()))
        assert [(v.code, v.message) for v in error.violations] == [(
            "link_change_limit",
            "account @alice is at its limit of 10 links in 180 days (10 counted); "
            f"a slot frees up at {iso(T0 + WINDOW)}")]
        frozen.move_to(T0 + WINDOW)
        at_the_instant = new_link(uow(), shops[10], "alice", now())
        assert at_the_instant["state"] == "invited"
        cancel_link(uow(), at_the_instant["id"], now())
        frozen.move_to(T0 + WINDOW + SECOND)
        assert new_link(uow(), shops[11], "alice", now())["state"] == "invited"


@pytest.mark.parametrize("offset, allowed", [(-SECOND, False), (ZERO, True), (SECOND, True)],
                         ids=["before", "at", "after"])
def test_a_shop_links_once_its_probation_has_ended(make_shop, make_account, uow, offset,
                                                   allowed):
    end = T0 + 7 * DAY
    make_shop("Acme", probation_until=iso(end))
    make_account("alice")
    with clock(end + offset):
        if allowed:
            assert new_link(uow(), "Acme", "alice", now())["state"] == "invited"
            return
        error = refused(lambda: new_link(uow(), "Acme", "alice", now()))
    assert codes(error) == ["shop_in_probation"]
    assert f"in probation until {iso(end)}" in error.message
    assert error.link["state"] == "rejected"


BIRTHDAYS = [
    (date(2008, 3, 3), datetime(2026, 3, 3, tzinfo=UTC)),
    (date(2008, 2, 29), datetime(2026, 3, 1, tzinfo=UTC)),
]


@pytest.mark.parametrize("born, adult", BIRTHDAYS, ids=["birthday", "29-february"])
@pytest.mark.parametrize("offset, allowed", [(-SECOND, False), (ZERO, True), (SECOND, True)],
                         ids=["23:59:59", "00:00:00", "00:00:01"])
def test_an_account_can_be_linked_from_00_00_utc_on_its_18th_birthday(
        make_shop, make_account, uow, born, adult, offset, allowed):
    make_shop("Acme")
    make_account("teen", birth_date=born.isoformat())
    with clock(adult + offset):
        if allowed:
            assert new_link(uow(), "Acme", "teen", now())["state"] == "invited"
            return
        error = refused(lambda: new_link(uow(), "Acme", "teen", now()))
    assert codes(error) == ["account_ineligible"]
    assert error.violations[0].message == f"@teen is under 18 until {adult.date()}"
