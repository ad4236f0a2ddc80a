"""What a seller may type for a product: SKUs, titles and prices, checked before any write."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shoplink.workflows.errors import BadInput
from shoplink.workflows.products import parse_price, parse_sku, parse_status, parse_title


@pytest.mark.parametrize(("typed", "stored"), [
    ("12.5", Decimal("12.50")),
    ("12", Decimal("12.00")),
    (" 0.99 ", Decimal("0.99")),
    ("12.500", Decimal("12.50")),
    ("0", Decimal("0.00")),
    ("-0", Decimal("0.00")),
    ("9999999999.99", Decimal("9999999999.99")),
    (19.99, Decimal("19.99")),
    (7, Decimal("7.00")),
])
def test_a_price_is_kept_to_the_cent(typed, stored):
    assert str(parse_price(typed)) == str(stored)


@pytest.mark.parametrize(("typed", "reason"), [
    ("-1", "cannot be negative"),
    ("-0.01", "cannot be negative"),
    ("1.999", "at most 2 decimal places"),
    ("0.001", "at most 2 decimal places"),
    ("abc", "such as 12.50"),
    ("NaN", "such as 12.50"),
    ("sNaN", "such as 12.50"),
    ("Infinity", "such as 12.50"),
    ("10000000000", "the largest price"),
    (True, "not bool"),
])
def test_a_bad_price_is_refused_with_the_reason(typed, reason):
    with pytest.raises(BadInput, match=reason):
        parse_price(typed)


def test_no_price_means_the_product_has_none():
    assert parse_price(None) is None
    assert parse_price("  ") is None


@pytest.mark.parametrize("typed", ["", "two words", "x" * 65, "tab\there", "nul\x00"])
def test_a_sku_is_one_to_64_characters_without_spaces(typed):
    with pytest.raises(BadInput, match="SKU"):
        parse_sku(typed)


def test_a_sku_keeps_its_case_and_punctuation():
    assert parse_sku(" Mug-01/blue.L ") == "Mug-01/blue.L"


def test_a_title_must_not_be_blank_or_too_long():
    with pytest.raises(BadInput, match="blank"):
        parse_title("   ")
    with pytest.raises(BadInput, match="limit is 255"):
        parse_title("t" * 256)
    assert parse_title(" Enamel mug ") == "Enamel mug"


def test_a_status_is_active_or_inactive():
    assert parse_status(None) == "active"
    assert parse_status("Inactive") == "inactive"
    with pytest.raises(BadInput, match="active, inactive"):
        parse_status("sold out")
