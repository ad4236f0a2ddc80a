"""Updates racing link commands: the same locks in the same order (shop, link, account), so
a region change and an invitation never both succeed across the line."""

from __future__ import annotations

from shoplink.workflows.accounts import update_account
from shoplink.workflows.links import new_link
from shoplink.workflows.shops import show_shop, update_shop
from tests.conftest import T0
from tests.integration.test_races import race, race_engine, tally  # noqa: F401 - the fixture

ROUNDS = 4


def test_a_shop_region_change_racing_invitations_never_strands_a_link(make_shop, make_account,
                                                                      uow, race_engine):  # noqa: F811
    for round_ in range(ROUNDS):
        shop = make_shop(f"Race {round_}")["name"]
        names = [make_account()["username"] for _ in range(4)]
        calls = [lambda work, shop=shop: update_shop(work, shop, T0, region="GB")]
        calls += [lambda work, shop=shop, name=name: new_link(work, shop, name, T0)
                  for name in names]
        outcomes = race(race_engine, calls)
        region = show_shop(uow(), shop, T0)["region"]
        invited = [kind for kind, _ in outcomes[1:]].count("ok")
        if outcomes[0][0] == "ok":
            assert region == "GB"
            assert invited == 0
            assert tally(outcomes[1:]) == {("refused", ("account_ineligible",)): invited + 4}
        else:
            assert outcomes[0] == ("refused", ("region_change_blocked",))
            assert region == "US"
            assert invited >= 1


def test_an_account_moving_region_racing_invitations_from_shops_leaves_no_stranded_link(
        make_shop, make_account, uow, race_engine):  # noqa: F811
    for round_ in range(ROUNDS):
        shops = [make_shop(f"Race {round_}.{n}")["name"] for n in range(3)]
        name = make_account()["username"]
        calls = [lambda work, name=name: update_account(work, name, {"region": "GB"}, T0)]
        calls += [lambda work, shop=shop, name=name: new_link(work, shop, name, T0)
                  for shop in shops]
        outcomes = race(race_engine, calls)
        invited = [kind for kind, _ in outcomes[1:]].count("ok")
        if outcomes[0][0] == "ok":
            assert invited == 0
            assert tally(outcomes[1:]) == {("refused", ("account_ineligible",)): 3}
        else:
            assert outcomes[0] == ("refused", ("region_change_blocked",))
            assert invited >= 1
        assert not [kind for kind, _ in outcomes if kind == "error"]
