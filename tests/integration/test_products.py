"""A shop's catalogue through the service layer, and the shop page that follows it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shoplink.workflows.errors import BadInput, NotFound
from shoplink.workflows.products import add_product, import_products, list_products, update_product
from shoplink.workflows.shops import set_official, show_official
from tests.conftest import T0


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def catalogue(uow, shop="Acme"):
    return {p["sku"]: (p["title"], p["price"], p["status"]) for p in list_products(uow(), shop)}


@pytest.fixture
def shops(make_shop, uow):
    make_shop("Acme")
    make_shop("Other")
    return uow


def test_a_sku_is_unique_within_its_shop_but_free_in_another(shops):
    add_product(shops(), "Acme", "MUG", T0, title="Mug")
    with pytest.raises(BadInput, match="already has SKU 'MUG'"):
        add_product(shops(), "Acme", "MUG", T0, title="Second mug")
    other = add_product(shops(), "Other", "MUG", T0, title="Their mug")
    assert other["shop"] == "Other"
    assert catalogue(shops) == {"MUG": ("Mug", None, "active")}


def test_a_price_comes_back_exactly_as_stored(shops):
    add_product(shops(), "Acme", "A", T0, title="A", price="0.1")
    add_product(shops(), "Acme", "B", T0, title="B", price="9999999999.99")
    add_product(shops(), "Acme", "C", T0, title="C", price="1234567.89")
    prices = {sku: price for sku, (_, price, _) in catalogue(shops).items()}
    assert prices == {"A": "0.10", "B": "9999999999.99", "C": "1234567.89"}


def test_a_product_of_an_unknown_shop_is_not_found(shops):
    with pytest.raises(NotFound, match="no shop 'Nope'"):
        add_product(shops(), "Nope", "MUG", T0, title="Mug")


def test_updating_changes_only_what_is_given(shops):
    add_product(shops(), "Acme", "MUG", T0, title="Mug", price="5")
    view = update_product(shops(), "Acme", "MUG", T0, status="inactive", title=None, price=None)
    assert (view["title"], view["price"], view["status"]) == ("Mug", "5.00", "inactive")
    with pytest.raises(BadInput, match="nothing to change"):
        update_product(shops(), "Acme", "MUG", T0)
    with pytest.raises(NotFound, match="no product with SKU 'CAP'"):
        update_product(shops(), "Acme", "CAP", T0, status="active")


def test_the_shop_page_follows_the_catalogue(shops, make_account):
    make_account("acme", nickname="ACME")
    set_official(shops(), "Acme", "acme", T0)
    add_product(shops(), "Acme", "MUG", T0, title="Mug")
    add_product(shops(), "Acme", "TEE", T0, title="Tee")
    add_product(shops(), "Acme", "OLD", T0, title="Old", status="inactive")
    add_product(shops(), "Other", "CAP", T0, title="Cap")
    page = show_official(shops(), "Acme")
    assert page["official_account"]["username"] == "acme"
    assert [p["sku"] for p in page["shop_page"]] == ["MUG", "TEE"]
    update_product(shops(), "Acme", "MUG", T0, status="inactive")
    update_product(shops(), "Acme", "OLD", T0, status="active")
    assert [p["sku"] for p in show_official(shops(), "Acme")["shop_page"]] == ["OLD", "TEE"]


def test_import_adds_and_updates_from_csv(shops, tmp_path):
    add_product(shops(), "Acme", "MUG", T0, title="Mug", price="5")
    path = write(tmp_path, "products.csv",
                 "sku,title,price,status\nMUG,,6.50,inactive\nTEE,Tee,19.9,\nCAP,Cap,,\n")
    assert import_products(shops(), "Acme", path, T0) == {"added": 2, "updated": 1}
    assert catalogue(shops) == {"CAP": ("Cap", None, "active"),
                                "MUG": ("Mug", "6.50", "inactive"),
                                "TEE": ("Tee", "19.90", "active")}


def test_import_reads_json_lines(shops, tmp_path):
    path = write(tmp_path, "products.jsonl",
                 '{"sku": "MUG", "title": "Mug", "price": 12.5}\n\n'
                 '{"sku": "TEE", "title": "Tee", "price": "3", "status": "inactive"}\n')
    assert import_products(shops(), "Acme", path, T0) == {"added": 2, "updated": 0}
    assert catalogue(shops) == {"MUG": ("Mug", "12.50", "active"),
                                "TEE": ("Tee", "3.00", "inactive")}


@pytest.mark.parametrize(("text", "error"), [
    ("sku,title,price\nMUG,Mug,1\nTEE,Tee,-2\n", "line 3: invalid price '-2'"),
    ("sku,title,price\nMUG,Mug,1\nTEE,Tee,1.005\n", "line 3: invalid price '1.005'"),
    ("sku,title\nMUG,Mug\nMUG,Mug again\n", "line 3: SKU 'MUG' is already on line 2"),
    ("sku,title\nMUG,Mug\nNEW,\n", "line 3: title is required for the new SKU 'NEW'"),
    ("sku,title\nMUG,Mug\n,Nameless\n", "line 3: sku is required"),
    ("sku,title,colour\nMUG,Mug,red\n", "line 2: unknown field 'colour'"),
    ("title,price\nMug,1\n", "line 1: the CSV header must name a sku column"),
    ("sku,title\nMUG,Mug,extra\n", "line 2: more values than header columns"),
])
def test_import_is_all_or_nothing_and_names_the_bad_line(shops, tmp_path, text, error):
    add_product(shops(), "Acme", "MUG", T0, title="Mug", price="5")
    path = write(tmp_path, "products.csv", text)
    with pytest.raises(BadInput, match=error):
        import_products(shops(), "Acme", path, T0)
    assert catalogue(shops) == {"MUG": ("Mug", "5.00", "active")}


def test_a_bad_json_line_is_named_and_nothing_is_written(shops, tmp_path):
    path = write(tmp_path, "products.jsonl",
                 '{"sku": "MUG", "title": "Mug"}\n{"sku": "TEE", "title": "Tee", "price": true}\n')
    with pytest.raises(BadInput, match="line 2: price must be an amount"):
        import_products(shops(), "Acme", path, T0)
    assert catalogue(shops) == {}


def test_importing_into_an_unknown_shop_is_not_found(shops, tmp_path):
    path = write(tmp_path, "products.csv", "sku,title\nMUG,Mug\n")
    with pytest.raises(NotFound):
        import_products(shops(), "Nope", path, T0)
    assert catalogue(shops) == {}


def test_listing_can_keep_only_one_status(shops):
    add_product(shops(), "Acme", "MUG", T0, title="Mug")
    add_product(shops(), "Acme", "OLD", T0, title="Old", status="inactive")
    assert [p["sku"] for p in list_products(shops(), "Acme", status="inactive")] == ["OLD"]
    assert [p["sku"] for p in list_products(shops(), "Acme")] == ["MUG", "OLD"]
