"""The showcase through the service layer: who may show what, when, and what history says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoplink.workflows.errors import BadInput, NotFound, Refused
from shoplink.workflows.links import accept_link, new_link, show_link, unlink_link
from shoplink.workflows.outbox import read_events
from shoplink.workflows.products import add_product, update_product
from shoplink.workflows.showcase import add_to_showcase, remove_from_showcase, show_showcase
from tests.conftest import T0

HOUR = timedelta(hours=1)


@pytest.fixture
def acme(make_shop, make_account, uow):
    """Acme with three products (one inactive), another shop with its own, and @alice."""
    make_shop("Acme")
    make_shop("Other")
    make_account("alice")
    add_product(uow(), "Acme", "MUG", T0, title="Enamel mug", price="12.50")
    add_product(uow(), "Acme", "TEE", T0, title="Logo tee", price="19.90")
    add_product(uow(), "Acme", "OLD", T0, title="Retired", status="inactive")
    add_product(uow(), "Other", "CAP", T0, title="Other's cap")
    return uow


def linked(uow, at=T0):
    link = new_link(uow(), "Acme", "alice", at)
    return accept_link(uow(), link["id"], "alice", at)


def refusal(call) -> Refused:
    with pytest.raises(Refused) as caught:
        call()
    return caught.value


def events(uow, link_id, at=T0):
    """What the app sees of the link: its outbox events, with their SKUs."""
    return [(e["type"], e["to_state"], (e.get("details") or {}).get("skus"))
            for e in read_events(uow(), 0, 1000) if e["link_id"] == link_id]


def history(uow, link_id, at=T0):
    return [e["event"] for e in show_link(uow(), link_id, at)["history"]]


def skus(view):
    return [item["sku"] for item in view["items"]]


def test_a_showcase_cannot_change_while_the_link_is_only_invited(acme):
    link = new_link(acme(), "Acme", "alice", T0)
    error = refusal(lambda: add_to_showcase(acme(), link["id"], ["MUG"], T0))
    assert error.code == "link_not_active"
    assert "invited" in error.message
    assert skus(show_showcase(acme(), link["id"], T0)) == []
    assert history(acme, link["id"]) == ["search", "verify", "invite"]


def test_after_accepting_the_seller_puts_products_on_show_without_changing_the_state(acme):
    link = linked(acme)
    view = add_to_showcase(acme(), link["id"], ["MUG", "TEE"], T0 + HOUR)
    assert view["added"] == ["MUG", "TEE"]
    assert view["state"] == "linked"
    assert view["items"][0] == {"sku": "MUG", "title": "Enamel mug", "price": "12.50",
                                "status": "active", "added_at": "2026-03-02T13:00:00Z"}
    assert events(acme, link["id"])[-1] == ("showcase.product_added", "linked", ["MUG", "TEE"])
    assert [e[0] for e in events(acme, link["id"])].count("link.linked") == 1
    assert history(acme, link["id"])[-1] == "accept"


def test_adding_a_product_already_on_show_is_a_no_op(acme):
    link = linked(acme)
    add_to_showcase(acme(), link["id"], ["MUG"], T0)
    before = events(acme, link["id"])
    again = add_to_showcase(acme(), link["id"], ["MUG", "MUG"], T0 + HOUR)
    assert again["added"] == []
    assert skus(again) == ["MUG"]
    assert events(acme, link["id"]) == before
    mixed = add_to_showcase(acme(), link["id"], ["MUG", "TEE"], T0 + HOUR)
    assert mixed["added"] == ["TEE"]
    assert events(acme, link["id"])[-1][2] == ["TEE"]


def test_another_shops_product_is_refused_as_not_in_the_shop(acme):
    link = linked(acme)
    error = refusal(lambda: add_to_showcase(acme(), link["id"], ["CAP"], T0))
    assert error.code == "product_not_in_shop"
    assert "'CAP'" in error.message and "'Acme'" in error.message


def test_an_inactive_product_is_refused(acme):
    link = linked(acme)
    error = refusal(lambda: add_to_showcase(acme(), link["id"], ["OLD"], T0))
    assert error.code == "product_inactive"


def test_every_failed_rule_is_reported_and_nothing_is_added(acme):
    link = linked(acme)
    error = refusal(lambda: add_to_showcase(acme(), link["id"], ["MUG", "CAP", "OLD"], T0))
    assert [v.code for v in error.violations] == ["product_not_in_shop", "product_inactive"]
    assert skus(show_showcase(acme(), link["id"], T0)) == []
    assert events(acme, link["id"])[-1][0] == "link.linked"


def test_an_unknown_sku_or_link_is_not_found_and_a_bad_sku_is_bad_input(acme):
    link = linked(acme)
    with pytest.raises(NotFound, match="'NOPE'"):
        add_to_showcase(acme(), link["id"], ["MUG", "NOPE"], T0)
    with pytest.raises(NotFound, match="no link 999"):
        add_to_showcase(acme(), 999, ["MUG"], T0)
    with pytest.raises(BadInput, match="SKU"):
        add_to_showcase(acme(), link["id"], ["two words"], T0)
    assert skus(show_showcase(acme(), link["id"], T0)) == []


def test_removing_takes_products_off_show_and_is_recorded(acme):
    link = linked(acme)
    add_to_showcase(acme(), link["id"], ["MUG", "TEE"], T0)
    update_product(acme(), "Acme", "TEE", T0, status="inactive")
    view = remove_from_showcase(acme(), link["id"], ["TEE", "MUG"], T0 + HOUR)
    assert view["removed"] == ["TEE", "MUG"]
    assert skus(view) == []
    assert events(acme, link["id"])[-1] == ("showcase.product_removed", "linked",
                                           ["TEE", "MUG"])
    published = len(events(acme, link["id"]))
    nothing = remove_from_showcase(acme(), link["id"], ["MUG"], T0 + HOUR)
    assert nothing["removed"] == []
    assert len(events(acme, link["id"])) == published


def test_a_deactivated_product_stays_on_show_with_its_status_until_removed(acme):
    link = linked(acme)
    add_to_showcase(acme(), link["id"], ["MUG"], T0)
    update_product(acme(), "Acme", "MUG", T0, status="inactive")
    assert show_showcase(acme(), link["id"], T0)["items"][0]["status"] == "inactive"


def test_unlinking_empties_the_showcase_in_the_same_transaction(acme):
    link = linked(acme)
    add_to_showcase(acme(), link["id"], ["TEE", "MUG"], T0)
    ended = unlink_link(acme(), link["id"], T0 + 25 * HOUR)
    assert ended["state"] == "unlinked"
    assert [e["event"] for e in ended["history"]][-2:] == ["unlock", "unlink"]
    assert events(acme, link["id"])[-2:] == [("link.unlinked", "unlinked", None),
                                             ("showcase.cleared", "unlinked", ["MUG", "TEE"])]
    assert skus(show_showcase(acme(), link["id"], T0 + 26 * HOUR)) == []


def test_unlinking_an_empty_showcase_records_no_clearing(acme):
    link = linked(acme)
    ended = unlink_link(acme(), link["id"], T0 + 25 * HOUR)
    assert ended["history"][-1]["event"] == "unlink"


def test_an_ended_link_refuses_showcase_changes(acme):
    link = linked(acme)
    unlink_link(acme(), link["id"], T0 + 25 * HOUR)
    for change in (add_to_showcase, remove_from_showcase):
        error = refusal(lambda c=change: c(acme(), link["id"], ["MUG"], T0 + 26 * HOUR))
        assert error.code == "link_not_active"


def test_a_later_link_of_the_same_account_starts_with_an_empty_showcase(acme):
    first = linked(acme)
    add_to_showcase(acme(), first["id"], ["MUG"], T0)
    unlink_link(acme(), first["id"], T0 + 25 * HOUR)
    second = linked(acme, T0 + 26 * HOUR)
    assert second["id"] != first["id"]
    assert skus(show_showcase(acme(), second["id"], T0 + 26 * HOUR)) == []
    view = add_to_showcase(acme(), second["id"], ["TEE"], T0 + 27 * HOUR)
    assert skus(view) == ["TEE"]


def test_overdue_timers_apply_before_the_showcase_changes(acme):
    link = linked(acme)
    view = add_to_showcase(acme(), link["id"], ["MUG"], T0 + 30 * HOUR)
    assert view["state"] == "unlinkable"
    assert events(acme, link["id"])[-2:] == [
        ("link.unlinkable", "unlinkable", None),
        ("showcase.product_added", "unlinkable", ["MUG"])]


def test_an_invitation_past_its_expiry_is_expired_and_then_refused(acme):
    link = new_link(acme(), "Acme", "alice", T0)
    error = refusal(lambda: add_to_showcase(acme(), link["id"], ["MUG"], T0 + 49 * HOUR))
    assert error.code == "link_not_active"
    assert "expired" in error.message
    assert events(acme, link["id"])[-1][0] == "invitation.expired"
