"""The pages' sessions through their service layer, on both backends.

The browser tests prove them through the pages on SQLite; these prove the same rules on
every backend without a browser: a session lives while its token does, and no longer.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shoplink.workflows.errors import Unauthorized
from shoplink.workflows.tokens import issue_token, revoke_token
from shoplink.workflows.web_sessions import resume, say, sign_in, sign_out
from tests.conftest import T0

HOUR = timedelta(hours=1)


@pytest.fixture
def acme(make_shop, make_account):
    make_shop("Acme")
    make_account("alice")


def test_a_session_speaks_for_its_token_and_says_each_message_once(acme, uow):
    token = issue_token(uow(), T0, shop_ref="Acme")["token"]
    secret, signed_in = sign_in(uow(), token, "seller", T0)
    say(uow(), secret, {"done": "sent"})

    resumed = resume(uow(), secret, T0 + HOUR)
    assert resumed is not None
    assert (resumed.principal.kind, resumed.principal.shop) == ("seller", "Acme")
    assert resumed.csrf_token == signed_in.csrf_token
    assert resumed.flash == [{"done": "sent"}]
    again = resume(uow(), secret, T0 + HOUR)
    assert again is not None and again.flash == []


def test_a_token_of_the_wrong_kind_opens_no_session(acme, uow):
    token = issue_token(uow(), T0, username="alice")["token"]
    with pytest.raises(Unauthorized, match="not a seller token"):
        sign_in(uow(), token, "seller", T0)


def test_signing_out_and_revoking_the_token_each_end_the_session(acme, uow):
    token = issue_token(uow(), T0, shop_ref="Acme")["token"]
    secret, _ = sign_in(uow(), token, "seller", T0)
    sign_out(uow(), secret, T0)
    assert resume(uow(), secret, T0) is None

    issued = issue_token(uow(), T0, shop_ref="Acme")
    secret, _ = sign_in(uow(), issued["token"], "seller", T0)
    assert resume(uow(), secret, T0) is not None
    revoke_token(uow(), issued["id"], T0)
    assert resume(uow(), secret, T0) is None


def test_a_session_ends_the_second_its_token_expires(acme, uow):
    token = issue_token(uow(), T0, shop_ref="Acme", expires_in="1h")["token"]
    secret, _ = sign_in(uow(), token, "seller", T0)
    assert resume(uow(), secret, T0 + HOUR - timedelta(seconds=1)) is not None
    assert resume(uow(), secret, T0 + HOUR) is None
