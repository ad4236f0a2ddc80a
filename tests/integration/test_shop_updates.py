"""`shop update`: renames the official account follows, region changes that would strand a
live link are refused, probation moves, and every change is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoplink.workflows.audit import list_entries
from shoplink.workflows.errors import BadInput, NotFound
from shoplink.workflows.links import cancel_link, new_link
from shoplink.workflows.outbox import read_events
from shoplink.workflows.shops import set_official, show_official, show_shop, update_shop
from tests.conftest import T0
from tests.integration.flows import DAY, SECOND, codes, linked, refused


def test_a_rename_renames_the_official_accounts_nickname_publishes_and_audits(
        make_shop, make_account, uow):
    make_shop("Sunny Socks")
    make_account("sunny.socks", nickname="Sunny Socks")
    set_official(uow(), "Sunny Socks", "sunny.socks", T0)
    view = update_shop(uow(), "Sunny Socks", T0 + DAY, name="SUNNY-SOCKS")
    assert (view["name"], view["official_account"], view["changed"]) == (
        "SUNNY-SOCKS", "sunny.socks", ["name"])
    official = show_official(uow(), "SUNNY-SOCKS")["official_account"]
    assert official["nickname"] == "SUNNY-SOCKS"
    [event] = [e for e in read_events(uow(), 0, 100) if e["type"] == "shop.renamed"]
    assert (event["shop_id"], event["account"], event["at"], event["details"]) == (
        view["id"], "sunny.socks", "2026-03-03T12:00:00Z",
        {"from": "Sunny Socks", "to": "SUNNY-SOCKS", "official_account": "sunny.socks"})
    shop_changes = [e["changes"] for e in list_entries(uow(), shop_ref="SUNNY-SOCKS")]
    assert shop_changes[0] == {"name": {"from": "Sunny Socks", "to": "SUNNY-SOCKS"}}
    [nickname] = list_entries(uow(), username="sunny.socks")
    assert nickname["changes"] == {"nickname": {"from": "Sunny Socks", "to": "SUNNY-SOCKS"}}


@pytest.mark.parametrize("new_name", ["Sunny Sox", "Sunny Socks " + "!" * 20])
def test_a_rename_the_official_account_cannot_follow_is_refused_and_writes_nothing(
        make_shop, make_account, uow, new_name):
    make_shop("Sunny Socks")
    make_account("sunny.socks", nickname="Sunny Socks")
    set_official(uow(), "Sunny Socks", "sunny.socks", T0)
    error = refused(lambda: update_shop(uow(), "Sunny Socks", T0, name=new_name))
    assert codes(error) == ["official_name_mismatch"]
    assert "unset the official account first" in error.message
    assert show_shop(uow(), "Sunny Socks", T0)["name"] == "Sunny Socks"
    assert [e["action"] for e in list_entries(uow())] == ["official set"]
    assert not [e for e in read_events(uow(), 0, 100) if e["type"] == "shop.renamed"]


def test_a_shop_without_an_official_account_renames_freely(make_shop, uow):
    make_shop("Acme")
    assert update_shop(uow(), "Acme", T0, name="Bolt")["name"] == "Bolt"
    with pytest.raises(NotFound):
        show_shop(uow(), "Acme", T0)


def test_a_region_change_is_refused_while_links_hold_slots_and_names_them(make_shop,
                                                                          make_account, uow):
    make_shop("Acme")
    make_account("ava")
    make_account("ben")
    first = linked(uow, "Acme", "ava", T0)
    second = new_link(uow(), "Acme", "ben", T0)
    error = refused(lambda: update_shop(uow(), "Acme", T0 + SECOND, region="GB"))
    assert codes(error) == ["region_change_blocked"]
    assert f"link {first['id']} ('Acme', @ava, linked)" in error.message
    assert f"link {second['id']} ('Acme', @ben, invited)" in error.message
    assert show_shop(uow(), "Acme", T0)["region"] == "US"
    assert list_entries(uow(), shop_ref="Acme") == []


def test_an_expiring_invitation_holds_the_region_until_its_expiry(make_shop, make_account, uow):
    make_shop("Acme")
    make_account("ava")
    invited = new_link(uow(), "Acme", "ava", T0)
    expires = T0 + timedelta(hours=48)
    assert invited["expires_at"] == "2026-03-04T12:00:00Z"
    error = refused(lambda: update_shop(uow(), "Acme", expires - SECOND, region="GB"))
    assert codes(error) == ["region_change_blocked"]
    assert update_shop(uow(), "Acme", expires, region="GB")["region"] == "GB"


def test_a_cancelled_link_frees_the_region_and_then_links_need_accounts_of_the_new_one(
        make_shop, make_account, uow):
    make_shop("Acme")
    make_account("ava")
    make_account("gus", region="GB")
    cancel_link(uow(), new_link(uow(), "Acme", "ava", T0)["id"], T0)
    update_shop(uow(), "Acme", T0, region="gb")
    assert codes(refused(lambda: new_link(uow(), "Acme", "ava", T0))) == ["account_ineligible"]
    assert new_link(uow(), "Acme", "gus", T0)["state"] == "invited"


def test_probation_set_by_update_ends_at_its_instant(make_shop, make_account, uow):
    make_shop("Acme")
    make_account("ava")
    make_account("ben")
    ends = T0 + DAY
    update_shop(uow(), "Acme", T0, probation_until="2026-03-03T12:00:00Z")
    error = refused(lambda: new_link(uow(), "Acme", "ava", ends - SECOND))
    assert codes(error) == ["shop_in_probation"]
    assert new_link(uow(), "Acme", "ava", ends)["state"] == "invited"
    assert new_link(uow(), "Acme", "ben", ends + SECOND)["state"] == "invited"


def test_no_probation_ends_it_at_once(make_shop, make_account, uow):
    make_shop("Acme", probation_until="2027-01-01T00:00:00Z")
    make_account("ava")
    view = update_shop(uow(), "Acme", T0, no_probation=True)
    assert (view["probation_ends_at"], view["changed"]) == (None, ["probation_ends_at"])
    assert new_link(uow(), "Acme", "ava", T0)["state"] == "invited"
    [entry] = list_entries(uow(), shop_ref="Acme")
    assert entry["changes"] == {"probation_ends_at": {"from": "2027-01-01T00:00:00Z",
                                                      "to": None}}


@pytest.mark.parametrize("options, message", [
    ({}, "nothing to update"),
    ({"name": "  "}, "shop name must not be blank"),
    ({"name": "x" * 101}, "the limit is 100"),
    ({"name": "Bravo"}, "a shop named 'Bravo' already exists"),
    ({"region": "USA"}, "invalid region"),
    ({"probation_until": "tomorrow"}, "invalid time"),
    ({"probation_until": ""}, "use --no-probation"),
    ({"probation_until": "2027-01-01", "no_probation": True}, "not both"),
])
def test_bad_input_is_refused_as_at_shop_add_and_writes_nothing(make_shop, uow, options,
                                                                message):
    make_shop("Acme")
    make_shop("Bravo")
    with pytest.raises(BadInput, match=message):
        update_shop(uow(), "Acme", T0, **options)
    view = show_shop(uow(), "Acme", T0)
    assert (view["name"], view["region"], view["probation_ends_at"]) == ("Acme", "US", None)
    assert list_entries(uow()) == []


def test_an_update_that_changes_nothing_is_not_audited(make_shop, uow):
    make_shop("Acme")
    assert update_shop(uow(), "Acme", T0, name="Acme", region="US")["changed"] == []
    assert list_entries(uow()) == []
