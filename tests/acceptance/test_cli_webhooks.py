"""`shoplink webhook`: endpoints, a signed ping, deliveries, retries, and a secret shown once."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from tests.acceptance.cli_support import data_of, error_of, refused_cleanly, snapshot
from tests.webhook_receiver import Receiver


def add(run_cli, url: str, *events: str) -> dict:
    options = [item for event in events for item in ("--event", event)]
    return data_of(run_cli("webhook", "add", url, *options, json=True))


def invite(run_cli, name: str = "alice") -> None:
    assert run_cli("shop", "add", f"Shop of {name}").exit_code == 0
    assert run_cli("account", "add", name).exit_code == 0
    assert run_cli("link", "new", f"Shop of {name}", name).exit_code == 0


def test_add_prints_the_endpoint_and_its_standard_webhooks_secret_once(run_cli):
    human = run_cli("webhook", "add", "https://app.example/hooks", "--event", "invitation.sent")
    assert human.exit_code == 0
    assert "webhook endpoint 1 added: https://app.example/hooks" in human.stdout
    assert "whsec_" in human.stdout
    added = add(run_cli, "http://127.0.0.1:8000/tiktok")
    assert set(added) >= {"id", "url", "events", "secret"}
    assert added["secret"].startswith("whsec_")
    Webhook(added["secret"])  # decodes as a Standard Webhooks key
    assert "invitation.sent" in added["events"] and "link.linked" in added["events"]


@pytest.mark.parametrize("url", ["ftp://app.example/hooks", "https://user:pw@app.example/hooks",
                                 "http://app.example:99999/", "not a url", "https:///nohost",
                                 "javascript:alert(1)"])
def test_a_url_that_is_not_plain_http_or_https_is_bad_input_and_writes_nothing(
        run_cli, database_url, url):
    refused_cleanly(run_cli, database_url, ("webhook", "add", url), 2, "bad_input")


def test_an_unknown_event_type_is_bad_input_and_writes_nothing(run_cli, database_url):
    error = refused_cleanly(run_cli, database_url, ("webhook", "add", "https://a.example/",
                                                    "--event", "invitation.snet"), 2, "bad_input")
    assert "invitation.snet" in error["message"] and "invitation.sent" in error["message"]


def test_list_shows_endpoints_and_whether_enabled_but_never_the_secret(run_cli):
    secret = add(run_cli, "https://app.example/hooks")["secret"]
    listed = data_of(run_cli("webhook", "list", json=True))
    assert [(e["id"], e["url"], e["enabled"]) for e in listed] == [
        (1, "https://app.example/hooks", True)]
    assert "secret" not in listed[0]
    human = run_cli("webhook", "list")
    assert "yes" in human.stdout and secret not in human.stdout


def test_remove_forgets_the_endpoint_and_an_unknown_one_is_not_found(run_cli, database_url):
    add(run_cli, "https://app.example/hooks")
    assert run_cli("webhook", "remove", "1").exit_code == 0
    assert data_of(run_cli("webhook", "list", json=True)) == []
    refused_cleanly(run_cli, database_url, ("webhook", "remove", "1"), 3, "not_found")
    assert add(run_cli, "https://other.example/hooks")["id"] == 2  # a removed id is not reused
    refused_cleanly(run_cli, database_url, ("webhook", "test", "7"), 3, "not_found")
    refused_cleanly(run_cli, database_url, ("webhook", "deliveries", "--endpoint", "7"), 3,
                    "not_found")


@pytest.mark.parametrize("status", [200, 204])
def test_test_sends_a_signed_ping_and_shows_the_answer(run_cli, status):
    with Receiver(default=status) as receiver:
        secret = add(run_cli, receiver.url)["secret"]
        pinged = run_cli("webhook", "test", "1")
        assert pinged.exit_code == 0, pinged.output
        assert f"HTTP {status}" in pinged.stdout and "delivered" in pinged.stdout
        assert pinged.stderr == ""
        [request] = receiver.requests
        body = Webhook(secret).verify(request.body, request.headers)
    assert body["type"] == "webhook.ping" and body["data"]["endpoint_id"] == 1


def closed_url() -> str:
    """The URL of a receiver that has gone: its port refuses connections."""
    with Receiver() as receiver:
        return receiver.url


@pytest.mark.parametrize(("receiver", "said"), [
    (dict(default=500, answer=b"database down\nsee logs"),
     "HTTP 500, answered 'database down\\nsee logs'"),
    (dict(default=503, answer=b""), "HTTP 503, with an empty answer"),
    (dict(hang=5), "timed out after 0.5s"),
    (None, "Connection refused"),
    (dict(default=410, answer=b"gone"), "HTTP 410, answered 'gone'; the endpoint is disabled "
                                        "now (`shoplink webhook enable 1` once it works again)"),
], ids=["500", "503-empty", "timeout", "refused", "410"])
def test_a_ping_that_was_not_delivered_exits_4_naming_what_happened(run_cli, receiver, said):
    """A person or a script running `webhook test` learns that the endpoint does not work."""
    with Receiver(**(receiver or {})) as live:
        add(run_cli, live.url if receiver else closed_url())
        human = run_cli("webhook", "test", "1", "--timeout", "0.5")
        machine = run_cli("webhook", "test", "1", "--timeout", "0.5", json=True)
    assert human.exit_code == 4, human.output
    assert human.stdout.startswith("ping 1 to endpoint 1: ") and "; failed" in human.stdout
    assert human.stderr.count("\n") == 1
    assert human.stderr.startswith("error: ping 1 to endpoint 1 was not delivered: ")
    assert said in human.stderr
    if receiver and receiver.get("default") == 410:  # the endpoint disabled itself: refused
        assert machine.exit_code == 4
        assert error_of(machine)["code"] == "endpoint_disabled"
        assert data_of(run_cli("webhook", "list", json=True))[0]["enabled"] is False
        return
    assert machine.exit_code == 4, machine.output
    shown = json.loads(machine.stdout)  # --json: still its one document on stdout
    assert (shown["id"], shown["status"], shown["attempts"]) == (2, "failed", 1)
    error = json.loads(machine.stderr)["error"]
    assert error["code"] == "not_delivered" and said in error["message"]
    recorded = data_of(run_cli("webhook", "deliveries", json=True))  # attempts, as before
    assert [(d["status"], d["attempts"]) for d in recorded] == [("failed", 1)] * 2
    assert recorded[0]["last_status"] == shown["last_status"]
    assert recorded[0]["last_error"] == shown["last_error"]
    assert data_of(run_cli("webhook", "list", json=True))[0]["enabled"] is True


def test_deliver_sends_what_is_due_and_deliveries_lists_it(run_cli):
    with Receiver(script=[500]) as receiver:
        add(run_cli, receiver.url, "invitation.sent", "link.linked")
        invite(run_cli)
        sent = data_of(run_cli("webhook", "deliver", json=True))
        assert sent == {"delivered": 0, "pending": 1, "failed": 0}
        [delivery] = data_of(run_cli("webhook", "deliveries", json=True))
    assert {"id", "endpoint_id", "event_id", "status", "attempts", "last_status",
            "next_attempt_at"} <= set(delivery)
    assert (delivery["status"], delivery["attempts"], delivery["last_status"]) == (
        "pending", 1, 500)
    assert delivery["next_attempt_at"].endswith("Z")
    assert data_of(run_cli("webhook", "deliveries", "--failed", json=True)) == []


def test_retry_takes_a_failed_delivery_only(run_cli, database_url):
    with Receiver(default=410) as gone:
        add(run_cli, gone.url, "invitation.sent")
        invite(run_cli)
        run_cli("webhook", "deliver")
    [failed] = data_of(run_cli("webhook", "deliveries", "--failed", json=True))
    assert failed["last_status"] == 410
    assert data_of(run_cli("webhook", "list", json=True))[0]["enabled"] is False
    refused_cleanly(run_cli, database_url, ("webhook", "retry", str(failed["id"])), 4,
                    "endpoint_disabled")
    refused_cleanly(run_cli, database_url, ("webhook", "retry", "99"), 3, "not_found")
    with Receiver(script=[500]) as receiver:
        add(run_cli, receiver.url, "invitation.sent")
        invite(run_cli, "bob")
        run_cli("webhook", "deliver")
    pending = data_of(run_cli("webhook", "deliveries", "--endpoint", "2", json=True))[0]
    refused_cleanly(run_cli, database_url, ("webhook", "retry", str(pending["id"])), 4,
                    "delivery_not_failed")


def test_enable_turns_an_endpoint_disabled_by_410_back_on_with_its_secret_and_history(run_cli):
    with Receiver(script=[410]) as receiver:
        secret = add(run_cli, receiver.url, "invitation.sent")["secret"]
        invite(run_cli)
        run_cli("webhook", "deliver")
        listed = run_cli("webhook", "list")
        [row] = listed.stdout.splitlines()[1:]
        assert " no " in row and "410 Gone at 20" in row and " UTC" in row  # readable
        invite(run_cli, "bob")  # committed while disabled: never sent to it

        enabled = run_cli("webhook", "enable", "1")
        assert enabled.exit_code == 0, enabled.output
        lines = enabled.stdout.splitlines()
        assert lines[0].startswith("webhook endpoint 1 enabled again (it was disabled: 410 Gone")
        assert "failed deliveries: 1" in enabled.stdout
        assert "shoplink webhook retry DELIVERY" in enabled.stdout
        assert lines[-2].split()[:4] == ["id", "url", "events", "enabled"]
        assert lines[-1].split()[:4] == ["1", receiver.url, "invitation.sent", "yes"]
        assert secret not in enabled.stdout
        [endpoint] = data_of(run_cli("webhook", "list", json=True))
        assert (endpoint["enabled"], endpoint["disabled_reason"]) == (True, None)

        invite(run_cli, "carol")
        assert data_of(run_cli("webhook", "deliver", json=True))["delivered"] == 1
        assert len(receiver.requests) == 2  # the 410, then carol's invitation; not bob's
        Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)
        [failed] = data_of(run_cli("webhook", "deliveries", "--failed", json=True))
        retried = run_cli("webhook", "retry", str(failed["id"]))  # still there, retried by hand
        assert retried.exit_code == 0 and "delivered" in retried.stdout


def test_enable_of_an_enabled_endpoint_succeeds_says_so_and_writes_nothing(run_cli, database_url):
    add(run_cli, "https://app.example/hooks")
    before = snapshot(database_url)
    human = run_cli("webhook", "enable", "1")
    assert human.exit_code == 0, human.output
    assert human.stdout.startswith("webhook endpoint 1 is already enabled: nothing changed\n")
    machine = data_of(run_cli("webhook", "enable", "1", json=True))
    assert (machine["id"], machine["enabled"], machine["changed"]) == (1, True, False)
    assert "secret" not in machine
    assert snapshot(database_url) == before


def test_enable_an_unknown_endpoint_is_not_found_and_a_bad_id_is_bad_input(run_cli, database_url):
    add(run_cli, "https://app.example/hooks")
    refused_cleanly(run_cli, database_url, ("webhook", "enable", "9"), 3, "not_found")
    before = snapshot(database_url)
    for bad in ("0", "abc", "-1"):
        human = run_cli("webhook", "enable", bad)
        assert human.exit_code == 2 and human.stdout == ""
        machine = run_cli("webhook", "enable", bad, json=True)
        assert machine.exit_code == 2 and error_of(machine)["code"] == "bad_input"
    assert snapshot(database_url) == before


def test_the_secret_never_appears_after_add(run_cli, database_url):
    with Receiver(default=500) as receiver:
        secret = add(run_cli, receiver.url)["secret"]
        invite(run_cli)
        outputs = [run_cli("--debug", "--log-level", "debug", "webhook", "deliver"),
                   run_cli("--debug", "webhook", "test", "1"),
                   run_cli("--debug", "webhook", "list"),
                   run_cli("webhook", "deliveries", json=True),
                   run_cli("--debug", "webhook", "add", "ftp://x/"),
                   run_cli("--debug", "webhook", "retry", "1", json=True),
                   run_cli("--debug", "webhook", "enable", "1"),
                   run_cli("webhook", "enable", "1", json=True)]
    for result in outputs:
        assert secret not in result.stdout + result.stderr
        assert secret.removeprefix("whsec_") not in result.stdout + result.stderr


def test_a_retry_that_is_not_delivered_exits_4_and_is_recorded(run_cli):
    """As `webhook test`: a script running `webhook retry` learns that it did not go through."""
    with Receiver(script=[410, 500], answer=b"still down") as receiver:
        add(run_cli, receiver.url, "invitation.sent")
        invite(run_cli)
        run_cli("webhook", "deliver")  # 410: failed, the endpoint disabled
        assert run_cli("webhook", "enable", "1").exit_code == 0
        [failed] = data_of(run_cli("webhook", "deliveries", "--failed", json=True))
        retried = run_cli("webhook", "retry", str(failed["id"]))
        assert len(receiver.requests) == 2
    assert retried.exit_code == 4, retried.output
    assert retried.stderr == (f"error: delivery {failed['id']} to endpoint 1 was not delivered: "
                              "HTTP 500, answered 'still down'\n")
    [after] = data_of(run_cli("webhook", "deliveries", json=True))
    assert (after["attempts"], after["last_status"]) == (2, 500)
