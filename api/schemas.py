"""The JSON of SPEC section 6 as OpenAPI schemas: what clients and schemathesis rely on."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shoplink.workflows.machine import STATES

Time = Annotated[str, Field(json_schema_extra={"format": "date-time"},
                            examples=["2026-03-02T12:00:00Z"])]


# A username as the service layer reads it (workflows.validate.username): what the
# document promises is what the API accepts.
USERNAME_PATTERN = r"^\s*@?[a-z0-9_.]{2,24}\s*$"
State = Literal[STATES]  # type: ignore[valid-type]


class AccountRequest(BaseModel):
    """A body naming one account by username (a leading @ is allowed)."""

    account: str = Field(examples=["alice"], pattern=USERNAME_PATTERN, max_length=40)


class Account(BaseModel):
    username: str
    nickname: str | None
    email: str | None
    region: str
    status: str
    birth_date: Annotated[str, Field(json_schema_extra={"format": "date"})] | None = None
    identity_verified: bool = True
    business: bool = False


class Shop(BaseModel):
    id: int
    name: str
    region: str
    probation_ends_at: Time | None
    official_account: str | None


class ShopUpdate(BaseModel):
    """What a seller may change of its shop: the name. Region and probation are the
    operator's (`shoplink shop update`): a body naming them does not parse (422)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(examples=["Sunny Socks"])


class ShopUpdated(Shop):
    changed: list[str] = Field(description="The fields that changed (none if the same).")


class ShopDetail(Shop):
    """The shop with its slot and 180-day counts, as `shoplink shop show`."""

    in_probation: bool
    marketing_accounts: int
    marketing_account_limit: int
    links_in_180_days: int
    link_change_limit: int
    next_window_release: Time | None
    window_days: int
    links_by_state: dict[str, int]


class Event(BaseModel):
    event: str
    from_state: str | None
    to_state: str
    actor: str
    at: Time
    recorded_at: Time
    details: dict | None = None


class Link(BaseModel):
    id: int
    shop: str
    shop_id: int
    account: str
    nickname: str | None
    email: str | None
    state: str
    created_at: Time
    invited_at: Time | None
    expires_at: Time | None
    linked_at: Time | None
    unlockable_at: Time | None
    ended_at: Time | None


class LinkWithHistory(Link):
    history: list[Event]


class Rule(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str
    rules: list[Rule] | None = Field(None, description="Every failed rule, when several.")
    link: LinkWithHistory | None = Field(None, description="The rejected link, if one was made.")


class ErrorDocument(BaseModel):
    error: ErrorBody


class Health(BaseModel):
    status: str = Field(examples=["ok"])
