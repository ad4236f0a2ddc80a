"""The catalogue, the showcase and the shop page as an operator types them, on both backends."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from shoplink.workflows.db import make_engine
from shoplink.workflows.products import add_product
from shoplink.workflows.shops import set_official
from tests.conftest import T0

HOUR = timedelta(hours=1)


def rows(url: str) -> dict[str, list]:
    """Every row of the tables this work writes: equal before and after means nothing written."""
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        found = {
            table: sorted(map(tuple, connection.execute(sa.text(f"SELECT * FROM {table}"))),
                          key=repr)
            for table in ("products", "showcase_items", "link_events", "links")
        }
    engine.dispose()
    return found


def data(result) -> dict:
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def error(result, exit_code: int) -> dict:
    assert result.exit_code == exit_code, result.output + result.stderr
    assert result.stdout == ""
    return json.loads(result.stderr)["error"]


@pytest.fixture
def shop(run_cli, make_shop, make_account, uow):
    """Acme (official account @acme) with a mug, a tee and an inactive product; @alice.

    Built through the service layer: the commands under test are the showcase's.
    """
    make_shop("Acme")
    make_shop("Other")
    make_account("acme", nickname="ACME")
    make_account("alice")
    set_official(uow(), "Acme", "acme", T0)
    add_product(uow(), "Acme", "MUG", T0, title="Enamel mug", price="12.5")
    add_product(uow(), "Acme", "TEE", T0, title="Logo tee")
    add_product(uow(), "Acme", "OLD", T0, title="Retired", status="inactive")
    add_product(uow(), "Other", "CAP", T0, title="Cap")
    return run_cli


def test_a_showcase_from_invitation_to_unlink_and_a_fresh_relink(shop, database_url):
    with freeze_time(T0) as clock:
        link = data(shop("link", "new", "Acme", "alice", json=True))["id"]
        before = rows(database_url)
        refused = error(shop("showcase", "add", str(link), "MUG", json=True), 4)
        assert refused["code"] == "link_not_active"
        assert rows(database_url) == before

        assert shop("link", "accept", str(link), "--as", "alice").exit_code == 0
        added = data(shop("showcase", "add", str(link), "MUG", "TEE", json=True))
        assert added["added"] == ["MUG", "TEE"]
        again = data(shop("showcase", "add", str(link), "MUG", json=True))
        assert again["added"] == [] and [i["sku"] for i in again["items"]] == ["MUG", "TEE"]

        human = shop("showcase", "list", str(link))
        assert human.exit_code == 0
        assert "MUG" in human.stdout and "12.50" in human.stdout and "linked" in human.stdout
        removed = data(shop("showcase", "remove", str(link), "TEE", json=True))
        assert [i["sku"] for i in removed["items"]] == ["MUG"]

        clock.move_to(T0 + 25 * HOUR)
        assert shop("link", "unlink", str(link)).exit_code == 0
        history = data(shop("link", "show", str(link), json=True))["history"]
        assert [h["event"] for h in history][-4:] == ["invite", "accept", "unlock", "unlink"]
        published = [json.loads(line) for line in shop("events", json=True).stdout.splitlines()]
        assert [(e["type"], e.get("details")) for e in published if e["link_id"] == link][-5:] == [
            ("showcase.product_added", {"skus": ["MUG", "TEE"]}),
            ("showcase.product_removed", {"skus": ["TEE"]}),
            ("link.unlinkable", None),
            ("link.unlinked", None),
            ("showcase.cleared", {"skus": ["MUG"]}),
        ]
        assert data(shop("showcase", "list", str(link), json=True))["items"] == []

        relink = data(shop("link", "new", "Acme", "alice", json=True))["id"]
        assert shop("link", "accept", str(relink), "--as", "alice").exit_code == 0
        assert data(shop("showcase", "list", str(relink), json=True))["items"] == []


def test_refusals_exit_4_with_the_rule_code_and_write_nothing(shop, database_url):
    with freeze_time(T0):
        link = str(data(shop("link", "new", "Acme", "alice", json=True))["id"])
        assert shop("link", "accept", link, "--as", "alice").exit_code == 0
        before = rows(database_url)
        assert error(shop("showcase", "add", link, "CAP", json=True), 4)["code"] == \
            "product_not_in_shop"
        assert error(shop("showcase", "add", link, "OLD", json=True), 4)["code"] == \
            "product_inactive"
        both = error(shop("showcase", "add", link, "CAP", "OLD", "MUG", json=True), 4)
        assert [r["code"] for r in both["rules"]] == ["product_not_in_shop", "product_inactive"]
        human = shop("showcase", "add", link, "OLD")
        assert human.exit_code == 4 and human.stderr == "error: product 'OLD' is inactive\n"
        assert rows(database_url) == before


FAILURES = [
    (("showcase", "add", "{link}", "NOPE"), 3, "not_found"),
    (("showcase", "add", "999", "MUG"), 3, "not_found"),
    (("showcase", "list", "999"), 3, "not_found"),
    (("showcase", "add", "{link}"), 2, "bad_input"),
    (("showcase", "add", "x", "MUG"), 2, "bad_input"),
    (("product", "add", "Nope", "MUG", "--title", "Mug"), 3, "not_found"),
    (("product", "add", "Acme", "MUG", "--title", "Again"), 2, "bad_input"),
    (("product", "add", "Acme", "NEW", "--title", "New", "--price", "1.999"), 2, "bad_input"),
    (("product", "add", "Acme", "NEW", "--title", "New", "--price", "-5"), 2, "bad_input"),
    (("product", "add", "Acme", "NEW"), 2, "bad_input"),
    (("product", "add", "Acme", "NEW", "--title", "New", "--status", "gone"), 2, "bad_input"),
    (("product", "update", "Acme", "NOPE", "--status", "inactive"), 3, "not_found"),
    (("product", "import", "Nope", "missing.csv"), 2, "bad_input"),
    (("product", "list", "Nope"), 3, "not_found"),
]


def test_unknown_things_exit_3_and_bad_input_exits_2_writing_nothing(shop, database_url):
    with freeze_time(T0):
        link = str(data(shop("link", "new", "Acme", "alice", json=True))["id"])
        shop("link", "accept", link, "--as", "alice")
        before = rows(database_url)
        for args, exit_code, code in FAILURES:
            failure = error(shop(*(a.replace("{link}", link) for a in args), json=True),
                            exit_code)
            assert failure["code"] == code, args
        assert rows(database_url) == before


def test_the_same_sku_may_exist_in_another_shop(shop):
    assert shop("product", "add", "Other", "MUG", "--title", "Their mug").exit_code == 0
    listed = data(shop("product", "list", "Other", json=True))
    assert [(p["sku"], p["shop"]) for p in listed] == [("CAP", "Other"), ("MUG", "Other")]


def test_the_official_accounts_shop_page_follows_the_catalogue(shop):
    page = data(shop("official", "show", "Acme", json=True))
    assert page["official_account"]["username"] == "acme"
    assert [(p["sku"], p["price"]) for p in page["shop_page"]] == [("MUG", "12.50"),
                                                                   ("TEE", None)]
    assert shop("product", "update", "Acme", "MUG", "--status", "inactive").exit_code == 0
    assert [p["sku"] for p in data(shop("official", "show", "Acme", json=True))["shop_page"]] \
        == ["TEE"]
    human = shop("official", "show", "Acme").stdout
    assert "shop page, 1 active product:" in human and "TEE" in human and "MUG" not in human


def test_import_writes_all_or_nothing_and_names_the_bad_line(shop, tmp_path, database_url):
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,title,price\nNEW,New,1\nTEE,Tee,2.001\n", encoding="utf-8")
    before = rows(database_url)
    failure = error(shop("product", "import", "Acme", str(bad), json=True), 2)
    assert failure["message"].startswith("line 3: invalid price '2.001'")
    assert rows(database_url) == before

    good = tmp_path / "good.jsonl"
    good.write_text('{"sku": "NEW", "title": "New", "price": "1"}\n'
                    '{"sku": "MUG", "status": "inactive"}\n', encoding="utf-8")
    result = shop("product", "import", "Acme", str(good))
    assert result.exit_code == 0 and result.stdout == "1 added, 1 updated\n"
    listed = {p["sku"]: p["status"] for p in data(shop("product", "list", "Acme", json=True))}
    assert listed == {"MUG": "inactive", "NEW": "active", "OLD": "inactive", "TEE": "active"}
