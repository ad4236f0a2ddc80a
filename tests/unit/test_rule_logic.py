"""The rules that need no database: coming of age, name matching, eligibility, probation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shoplink.workflows import rules, validate
from shoplink.workflows.errors import BadInput
from shoplink.workflows.models import Account, Shop

SECOND = timedelta(seconds=1)


@pytest.mark.parametrize("born, adult", [
    (date(2008, 3, 3), date(2026, 3, 3)),
    (date(2008, 2, 29), date(2026, 3, 1)),
    (date(2004, 2, 29), date(2022, 3, 1)),
    (date(2007, 12, 31), date(2025, 12, 31)),
])
def test_an_account_comes_of_age_on_its_18th_birthday_or_1_march_for_29_february(born, adult):
    assert rules.adult_from(born) == adult


@pytest.mark.parametrize("text, key", [
    ("Acme Store!", "acmestore"),
    ("acme_store", "acmestore"),
    ("ACME store", "acmestore"),
    ("  Ça va? 42 ", "çava42"),
    ("Straße", "strasse"),
    ("___", ""),
])
def test_names_are_compared_case_folded_without_punctuation(text, key):
    assert rules.name_key(text) == key


def account(**fields) -> Account:
    values = {"username": "alice", "nickname": "Alice", "region": "US", "status": "active",
              "birth_date": None, "identity_verified": True, **fields}
    return Account(**values)


SHOP = Shop(id=1, name="Acme", region="US")


def test_an_active_adult_account_in_the_shop_region_is_eligible():
    assert rules.account_ineligible(account(birth_date=date(1990, 1, 1)), SHOP,
                                    datetime(2026, 1, 1, tzinfo=UTC)) == []


@pytest.mark.parametrize("fields, reason", [
    ({"status": "banned"}, "@alice is banned"),
    ({"status": "deactivated"}, "@alice is deactivated"),
    ({"region": "GB"}, "@alice is in region GB while shop 'Acme' is in US"),
    ({"birth_date": date(2008, 3, 3)}, "@alice is under 18 until 2026-03-03"),
    ({"identity_verified": False}, "@alice has not passed identity verification"),
])
def test_an_ineligible_account_is_told_why(fields, reason):
    [found] = rules.account_ineligible(account(**fields), SHOP, datetime(2026, 3, 2, 23, 59, 59,
                                                                          tzinfo=UTC))
    assert found.code == "account_ineligible"
    assert found.message == reason


def test_every_reason_an_account_is_ineligible_is_in_one_message():
    [found] = rules.account_ineligible(
        account(status="banned", region="GB", birth_date=date(2010, 1, 1)), SHOP,
        datetime(2026, 3, 2, tzinfo=UTC))
    assert "banned" in found.message and "region GB" in found.message
    assert "under 18 until 2028-01-01" in found.message


def test_coming_of_age_is_judged_on_the_utc_date_whatever_the_offset_of_now():
    tokyo = timezone(timedelta(hours=9))
    before_midnight_utc = datetime(2026, 3, 3, 8, 59, 59, tzinfo=tokyo)  # 23:59:59 UTC on 2 March
    teen = account(birth_date=date(2008, 3, 3))
    assert [v.code for v in rules.account_ineligible(teen, SHOP, before_midnight_utc)] == [
        "account_ineligible"]
    assert rules.account_ineligible(teen, SHOP, before_midnight_utc + SECOND) == []


def test_probation_ends_at_its_instant():
    end = datetime(2026, 4, 1, tzinfo=UTC)
    shop = Shop(id=1, name="Acme", region="US", probation_ends_at=end)
    [found] = rules.shop_in_probation(shop, end - SECOND)
    assert found.code == "shop_in_probation"
    assert "until 2026-04-01T00:00:00Z" in found.message
    assert rules.shop_in_probation(shop, end) == []
    assert rules.shop_in_probation(Shop(id=2, name="B", region="US"), end) == []


@pytest.mark.parametrize("raw, clean", [("alice_1", "alice_1"), ("@bob.b", "bob.b"),
                                        (" carol ", "carol")])
def test_a_username_may_start_with_an_at_sign(raw, clean):
    assert validate.username(raw) == clean


@pytest.mark.parametrize("raw", ["A", "Alice", "a" * 25, "al ice", "al-ice", "", "@"])
def test_a_bad_username_is_refused_with_one_line(raw):
    with pytest.raises(BadInput, match="invalid username"):
        validate.username(raw)


def test_regions_default_to_us_and_are_upper_cased():
    assert validate.region(None) == "US"
    assert validate.region(" gb ") == "GB"
    with pytest.raises(BadInput):
        validate.region("USA")


def test_times_without_an_offset_are_utc_and_others_are_converted():
    assert validate.timestamp("2026-04-01T00:00:00") == datetime(2026, 4, 1, tzinfo=UTC)
    assert validate.timestamp("2026-04-01T02:00:00+02:00") == datetime(2026, 4, 1, tzinfo=UTC)
    assert validate.timestamp("2026-04-01T00:00:00Z") == datetime(2026, 4, 1, tzinfo=UTC)
    with pytest.raises(BadInput, match="ISO 8601"):
        validate.timestamp("tomorrow")


@pytest.mark.parametrize("raw, ok", [("2008-02-29", date(2008, 2, 29)), ("", None), (None, None)])
def test_birth_dates_are_iso_dates(raw, ok):
    assert validate.birth_date(raw) == ok


@pytest.mark.parametrize("raw", ["2007-02-29", "29/02/2008", "soon"])
def test_an_impossible_birth_date_is_bad_input(raw):
    with pytest.raises(BadInput, match="YYYY-MM-DD"):
        validate.birth_date(raw)


def test_statuses_nicknames_and_shop_names_are_checked():
    assert validate.status(None) == "active"
    assert validate.status("BANNED") == "banned"
    with pytest.raises(BadInput):
        validate.status("frozen")
    assert validate.nickname("  Ünïcode ✨ ") == "Ünïcode ✨"
    with pytest.raises(BadInput, match="limit is 30"):
        validate.nickname("x" * 31)
    with pytest.raises(BadInput, match="blank"):
        validate.shop_name("   ")
    with pytest.raises(BadInput, match="limit is 100"):
        validate.shop_name("x" * 101)


def test_each_reason_names_its_subject_so_the_shop_never_reads_as_under_18():
    [found] = rules.account_ineligible(account(region="GB", birth_date=date(2010, 6, 1)), SHOP,
                                       datetime(2026, 3, 2, tzinfo=UTC))
    assert found.message == ("@alice is in region GB while shop 'Acme' is in US; "
                             "@alice is under 18 until 2028-06-01")


def test_a_birth_date_whose_18th_birthday_is_past_the_calendar_is_under_18_not_a_crash():
    assert rules.adult_from(date(9999, 12, 31)) is None
    [found] = rules.account_ineligible(account(birth_date=date(9990, 1, 1)), SHOP,
                                       datetime(2026, 3, 2, tzinfo=UTC))
    assert found.message == "@alice is under 18 (born 9990-01-01)"
