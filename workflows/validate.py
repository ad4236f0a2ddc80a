"""Parsing and checking what people type; each failure is one clear line (BadInput)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from shoplink.workflows.clock import as_utc
from shoplink.workflows.errors import BadInput, quoted

USERNAME = re.compile(r"[a-z0-9_.]{2,24}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
REGION = re.compile(r"[A-Z]{2}")
STATUSES = ("active", "banned", "deactivated")
DURATION = re.compile(r"(\d{1,7})([mhd])")
DURATION_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
MAX_DURATION = timedelta(days=3650)
FLAGS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
NICKNAME_LIMIT = 30
SEARCH_KEY_LENGTH = 120  # accounts.nickname_key: NFKC can make one character many


def username(raw: str) -> str:
    """A username as typed, with an optional leading @."""
    value = raw.strip().removeprefix("@")
    if not USERNAME.fullmatch(value):
        raise BadInput(
            f"invalid username {quoted(raw)}: use 2-24 lowercase letters, digits, '_' or '.'"
        )
    return value


def nickname(raw: str | None) -> str:
    value = (raw or "").strip()
    if len(value) > NICKNAME_LIMIT:
        raise BadInput(f"nickname is {len(value)} characters long; the limit is {NICKNAME_LIMIT}")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise BadInput("nickname contains control characters")
    if len(search_key(value)) > SEARCH_KEY_LENGTH:
        raise BadInput(f"nickname {quoted(value)} is too long once normalised for search")
    return value


def search_key(text: str) -> str:
    """How nicknames and queries are compared: case-folded, NFKC-normalised."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def email(raw: str | None) -> str | None:
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip()
    if len(value) > 254 or not EMAIL.fullmatch(value) or _has_control(value):
        raise BadInput(f"invalid email {quoted(raw)}")
    return value


def region(raw: str | None) -> str:
    value = (raw or "US").strip().upper()
    if not REGION.fullmatch(value):
        raise BadInput(
            f"invalid region {quoted(raw)}: use an ISO 3166 alpha-2 code such as US or GB")
    return value


def status(raw: str | None) -> str:
    value = (raw or "active").strip().lower()
    if value not in STATUSES:
        raise BadInput(f"invalid status {quoted(raw)}: use one of {', '.join(STATUSES)}")
    return value


def birth_date(raw: str | date | None, today: date | None = None) -> date | None:
    """A date of birth: YYYY-MM-DD, and not after `today` (a future date is not a birth)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        value = raw
    else:
        try:
            value = date.fromisoformat(raw.strip())
        except ValueError:
            raise BadInput(f"invalid birth date {quoted(raw)}: use YYYY-MM-DD") from None
    if today is not None and value > today:
        raise BadInput(f"invalid birth date {value}: it is after today ({today})")
    return value


def shop_name(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise BadInput("shop name must not be blank")
    if len(value) > 100:
        raise BadInput(f"shop name is {len(value)} characters long; the limit is 100")
    if _has_control(value):
        raise BadInput("shop name contains control characters")
    return value


def _has_control(value: str) -> bool:
    """Tabs, NULs and the like: never meant, and PostgreSQL refuses NUL outright."""
    return any(unicodedata.category(c) == "Cc" for c in value)


def timestamp(raw: str | None) -> datetime | None:
    """An ISO 8601 time; without an offset it is taken as UTC."""
    if raw is None or raw == "":
        return None
    try:
        return as_utc(datetime.fromisoformat(raw.strip().replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        raise BadInput(
            f"invalid time {quoted(raw)}: use ISO 8601, e.g. 2026-12-01T09:00:00Z") from None


def positive(value: int, what: str) -> int:
    if value < 1:
        raise BadInput(f"{what} must be at least 1")
    return value


def flag(raw: str | bool | None, what: str) -> bool:
    """A yes/no field of an import file: true/false, yes/no or 1/0."""
    if raw is None or raw == "":
        return True
    if isinstance(raw, bool):
        return raw
    value = FLAGS.get(raw.strip().lower())
    if value is None:
        raise BadInput(f"invalid {what} {quoted(raw)}: use true or false")
    return value


def duration(raw: str, what: str) -> timedelta:
    """A span written as a number and a unit: `30m`, `12h`, `90d` (at most ten years)."""
    match = DURATION.fullmatch(raw.strip())
    if not match:
        raise BadInput(f"invalid {what} {quoted(raw)}: use a number and m, h or d, "
                       "e.g. 30m, 12h, 90d")
    span = timedelta(**{DURATION_UNITS[match[2]]: int(match[1])})
    if span <= timedelta(0) or span > MAX_DURATION:
        raise BadInput(f"invalid {what} {quoted(raw)}: give more than 0 and at most 3650d")
    return span
