"""Finding what a person named: a shop by id or exact name, an account, a link."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shoplink.workflows import validate
from shoplink.workflows.errors import BadInput, NotFound
from shoplink.workflows.models import Account, Link, Shop

MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger number names nothing (PostgreSQL raises)


def shop(session: Session, ref: str | int) -> Shop:
    """SHOP is an id or an exact name; a name made of digits is tried as a name too."""
    text = str(ref).strip()
    found = session.execute(sa.select(Shop).where(Shop.name == text)).unique().scalar()
    if found is None and text.isascii() and text.isdigit() and int(text) <= MAX_ID:
        found = session.get(Shop, int(text))
    if found is None:
        raise NotFound(f"no shop {text!r}")
    return found


def account(session: Session, username: str) -> Account:
    name = validate.username(username)
    found = session.execute(sa.select(Account).where(Account.username == name)).scalar()
    if found is None:
        raise NotFound(f"no account @{name}")
    return found


def link_id(raw: str | int) -> int:
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise BadInput(f"invalid link id {raw!r}: use the number `link list` shows")
    if int(text) > MAX_ID:
        raise NotFound(f"no link {text}")
    return int(text)


def link_shop_id(session: Session, key: int) -> int:
    """The shop a link belongs to, read without locking, so the shop can be locked first."""
    found = session.execute(sa.select(Link.shop_id).where(Link.id == key)).scalar()
    if found is None:
        raise NotFound(f"no link {key}")
    return found


def link_for_update(session: Session, key: int) -> Link:
    query = sa.select(Link).where(Link.id == key).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Link)
    return session.execute(query).unique().scalar_one()
