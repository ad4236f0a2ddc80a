"""Times on the pages: UTC, with a floored relative hint, so a deadline never shows early."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoplink.pages.times import relative, utc
from tests.conftest import T0


@pytest.mark.parametrize(("offset", "hint"), [
    (timedelta(seconds=59), "now"),
    (timedelta(seconds=60), "in 1 minute"),
    (timedelta(hours=24, seconds=-1), "in 23 hours"),
    (timedelta(hours=24), "in 24 hours"),
    (timedelta(hours=49, seconds=-1), "in 48 hours"),
    (timedelta(hours=49), "in 2 days"),
    (timedelta(days=180), "in 180 days"),
    (-timedelta(seconds=59), "now"),
    (-timedelta(hours=1), "1 hour ago"),
    (-timedelta(days=3, seconds=1), "3 days ago"),
])
def test_the_relative_hint_is_floored_to_its_unit(offset, hint):
    assert relative(T0 + offset, T0) == hint


def test_times_are_shown_in_utc_from_any_offset():
    assert utc("2026-03-02T13:30:00+01:30") == "2026-03-02 12:00 UTC"
    assert utc("2026-03-02T12:00:00Z") == "2026-03-02 12:00 UTC"
    assert utc(None) == "—" and relative(None, T0) == ""
