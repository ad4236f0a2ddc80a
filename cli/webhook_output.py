"""How `shoplink webhook` says what happened: a delivery's attempt, an endpoint enabled again,
an endpoint as a row of `webhook list`."""

from __future__ import annotations

from typing import Any

from shoplink.cli.output import ISO_UTC, when


def sentence(view: dict[str, Any], what: str) -> str:
    last = view["attempts_made"][-1] if view["attempts_made"] else None
    if last is None:
        return f"{what} {view['id']} was not sent (its endpoint is disabled or busy)"
    answer = f"HTTP {last['status']}" if last["status"] is not None else last["error"]
    return (f"{what} {view['id']} to endpoint {view['endpoint_id']}: {answer} in "
            f"{last['latency_ms']} ms; {view['status']}")


def enabled_text(view: dict[str, Any]) -> str:
    number = view["id"]
    if not view["changed"]:
        return f"webhook endpoint {number} is already enabled: nothing changed"
    lines = [f"webhook endpoint {number} enabled again (it was disabled: "
             f"{_readable(view['disabled_reason_before']) or 'no reason recorded'})",
             "it gets the events committed from now on, not those committed while it was disabled"]
    if view["pending_deliveries"]:
        lines.append(f"pending deliveries: {view['pending_deliveries']}, sent when due")
    if view["failed_deliveries"]:
        lines.append(f"failed deliveries: {view['failed_deliveries']}, sent again only by "
                     f"`shoplink webhook retry DELIVERY` (`shoplink webhook deliveries --endpoint "
                     f"{number} --failed` lists them)")
    return "\n".join(lines)


def _readable(reason: str | None) -> str | None:
    """A disabled reason with its time as people read it (`410 Gone at 2026-... UTC`)."""
    return ISO_UTC.sub(lambda t: when(t[0]), reason) if reason else reason


def joined(view: dict[str, Any]) -> dict[str, Any]:
    from shoplink.workflows.webhooks import EVENT_TYPES

    every = sorted(view["events"]) == sorted(EVENT_TYPES)
    return view | {"events": "all" if every else ",".join(view["events"]),
                   "disabled_reason": _readable(view["disabled_reason"])}
