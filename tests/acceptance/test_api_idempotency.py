"""A POST retried with the same Idempotency-Key answers the first answer and does nothing again."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from shoplink.workflows.models import Link, LinkEvent
from tests.acceptance.api_support import build_world, error_of


def _count(engine, model, *where):
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(model).where(*where)
                                  ).scalar()


def test_a_repeated_post_with_one_key_creates_one_link(engine):
    world = build_world(engine)
    path = f"/v1/shops/{world.shop_id}/links"
    first = world.call("seller", "POST", path, {"account": "bob"}, **{"Idempotency-Key": "k-1"})
    again = world.call("seller", "POST", path, {"account": "bob"}, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(engine, Link, Link.account.has(username="bob")) == 1


def test_without_a_key_the_retry_is_a_new_request(engine):
    world = build_world(engine)
    path = f"/v1/shops/{world.shop_id}/links"
    assert world.call("seller", "POST", path, {"account": "bob"}).status_code == 201
    retry = world.call("seller", "POST", path, {"account": "bob"})
    assert retry.status_code == 409
    assert error_of(retry)["code"] == "already_linked"


def test_a_refusal_is_replayed_too_and_makes_no_second_rejected_link(engine):
    world = build_world(engine)
    path = f"/v1/shops/{world.shop_id}/links"
    first = world.call("seller", "POST", path, {"account": "alice"}, **{"Idempotency-Key": "r"})
    again = world.call("seller", "POST", path, {"account": "alice"}, **{"Idempotency-Key": "r"})
    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()
    assert error_of(first)["code"] == "already_linked"
    assert _count(engine, Link, Link.state == "rejected") == 1


def test_an_accept_retried_with_its_key_is_accepted_once(engine):
    world = build_world(engine)
    path = f"/v1/links/{world.link_id}/accept"
    first = world.call("invitee", "POST", path, **{"Idempotency-Key": "accept-1"})
    again = world.call("invitee", "POST", path, **{"Idempotency-Key": "accept-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert _count(engine, LinkEvent, LinkEvent.event == "accept") == 1


def test_keys_belong_to_their_principal(engine):
    world = build_world(engine)
    key = {"Idempotency-Key": "shared"}
    mine = world.call("seller", "POST", f"/v1/shops/{world.shop_id}/links", {"account": "bob"},
                      **key)
    theirs = world.call("other_seller", "POST", f"/v1/shops/{world.other_shop_id}/links",
                        {"account": "bob"}, **key)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["shop"] == "Acme" and theirs.json()["shop"] == "Bravo"


def test_a_key_reused_for_another_request_is_422_and_does_nothing(engine):
    world = build_world(engine)
    key = {"Idempotency-Key": "once"}
    world.call("seller", "POST", f"/v1/shops/{world.shop_id}/links", {"account": "bob"}, **key)
    other = world.call("seller", "POST", f"/v1/links/{world.link_id}/cancel", **key)
    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert "was first used for POST" in error_of(other)["message"]
    assert world.call("seller", "GET", f"/v1/links/{world.link_id}").json()["state"] == "invited"


def test_a_key_reused_with_another_body_is_422_and_does_nothing(engine):
    world = build_world(engine)
    path, key = f"/v1/shops/{world.shop_id}/links", {"Idempotency-Key": "K"}
    first = world.call("seller", "POST", path, {"account": "bob"}, **key)
    assert first.status_code == 201
    other = world.call("seller", "POST", path, {"account": "acme"}, **key)
    assert other.status_code == 422
    assert error_of(other)["code"] == "idempotency_key_reused"
    assert "another body" in error_of(other)["message"]
    assert _count(engine, Link, Link.account.has(username="acme")) == 0


def test_concurrent_retries_with_one_key_create_one_link(engine):
    world = build_world(engine)
    path = f"/v1/shops/{world.shop_id}/links"
    start = threading.Barrier(4)
    answers = []

    def post() -> None:
        start.wait()
        answers.append(world.call("seller", "POST", path, {"account": "bob"},
                                  **{"Idempotency-Key": "race"}))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["id"] for a in answers}) == 1
    assert _count(engine, Link, Link.account.has(username="bob")) == 1


def test_a_repeat_while_the_first_has_not_answered_is_409_in_use_and_does_nothing(engine,
                                                                                  monkeypatch):
    from shoplink.workflows.models import IdempotencyRecord
    from shoplink.workflows.uow import UnitOfWork
    from tests.conftest import T0

    monkeypatch.setattr("shoplink.api.idempotency.ANSWER_WAIT", 0.3)  # after waiting that long
    world = build_world(engine)
    path = f"/v1/shops/{world.shop_id}/links"
    with UnitOfWork(engine) as uow:  # what the first request's commit filed, before its answer
        from shoplink.api.idempotency import fingerprint

        class Seen:
            method, url = "POST", type("U", (), {"path": path})()

        uow.session.add(IdempotencyRecord(
            key="slow", principal=f"shop:{world.shop_id}", method="POST", path=path,
            fingerprint=fingerprint(Seen(), {"account": "bob"}), created_at=T0))
        uow.commit()
    again = world.call("seller", "POST", path, {"account": "bob"}, **{"Idempotency-Key": "slow"})
    assert again.status_code == 409
    assert error_of(again)["code"] == "idempotency_key_in_use"
    assert _count(engine, Link, Link.account.has(username="bob")) == 0
