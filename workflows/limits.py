"""The numbers the linking rules are made of (SPEC section 3)."""

from __future__ import annotations

from datetime import timedelta

MAX_MARKETING_ACCOUNTS = 4
MAX_LINKS_IN_WINDOW = 10
LINK_WINDOW = timedelta(days=180)
UNLINK_LOCK = timedelta(hours=24)
DEFAULT_INVITATION_TTL = timedelta(hours=48)
ADULT_AGE = 18
