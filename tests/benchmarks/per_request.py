"""8b. One request of each kind, in process: what the API costs before any queueing.

The load test's app (`api.serving.application`, the server's own sizing) over its seeded
database, driven through httpx's ASGI transport one request at a time, so the figure is
the server's own work per request: routing, validation, authentication, the service call
and the JSON, with no sockets, no HTTP parser and no other client. Each kind runs in
rounds that alternate with `/healthz`; the row is its median against `/healthz`'s.
`python -m tests.benchmarks.per_request [--db URL] [--profile KIND]` prints a profile too.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.benchmarks.harness import Context, Row, median
from tests.benchmarks.load import ACCOUNTS, SHOPS, _seed
from tests.benchmarks.seed import username as account_name

KINDS = ("healthz", "link", "tab", "shop", "search")
Request = Callable[[httpx.AsyncClient, random.Random], Any]


def requests(tokens: list[str]) -> dict[str, Request]:
    """The load test's mixed workload, one builder per kind."""

    def headers(shop: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[shop]}"}

    def link(client: httpx.AsyncClient, rng: random.Random) -> Any:
        shop = rng.randrange(SHOPS)
        body = {"account": account_name(rng.randrange(1, ACCOUNTS + 1))}
        return client.post(f"/v1/shops/{shop + 1}/links", json=body, headers=headers(shop))

    def tab(client: httpx.AsyncClient, rng: random.Random) -> Any:
        shop = rng.randrange(SHOPS)
        return client.get(f"/v1/shops/{shop + 1}/marketing-accounts", headers=headers(shop))

    def shop_view(client: httpx.AsyncClient, rng: random.Random) -> Any:
        shop = rng.randrange(SHOPS)
        return client.get(f"/v1/shops/{shop + 1}", headers=headers(shop))

    def search(client: httpx.AsyncClient, rng: random.Random) -> Any:
        shop = rng.randrange(SHOPS)
        prefix = account_name(rng.randrange(1, ACCOUNTS + 1))[:4]
        return client.get(f"/v1/shops/{shop + 1}/accounts", params={"q": prefix},
                          headers=headers(shop))

    def healthz(client: httpx.AsyncClient, rng: random.Random) -> Any:
        return client.get("/healthz")

    return {"healthz": healthz, "link": link, "tab": tab, "shop": shop_view, "search": search}


async def _timed(client: httpx.AsyncClient, request: Request, rng: random.Random,
                 count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        start = time.perf_counter()
        response = await request(client, rng)
        seconds.append(time.perf_counter() - start)
        if response.status_code >= 500:
            raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
    return seconds


async def measure(url: str, tokens: list[str], *, rounds: int, per_round: int,
                  profile: str | None = None) -> dict[str, float]:
    """Median seconds per request of each kind, rounds alternating between the kinds."""
    from shoplink.api.serving import Sizing, application

    app = application(url, Sizing())
    kinds = requests(tokens)
    rng = random.Random(12)
    spent: dict[str, list[float]] = {kind: [] for kind in KINDS}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(200):  # fill the shops, as the load test's first seconds do
                await kinds["link"](client, rng)
            for kind in KINDS:
                await _timed(client, kinds[kind], rng, 20)
            for _ in range(rounds):
                for kind in KINDS:
                    spent[kind].extend(await _timed(client, kinds[kind], rng, per_round))
            if profile is not None:
                await _profile(client, kinds[profile], rng)
    return {kind: median(values) for kind, values in spent.items()}


async def _profile(client: httpx.AsyncClient, request: Request, rng: random.Random) -> None:
    import anyio.to_thread
    from pyinstrument import Profiler

    async def inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)  # the profiler sees only this thread: run the routes here

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    profiler = Profiler(interval=0.0002, async_mode="disabled")
    profiler.start()
    await _timed(client, request, rng, 300)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False), file=sys.stderr)


def run(ctx: Context) -> None:
    url, tokens = _seed(ctx)
    per_round = max(5, int(ctx.sizes.load_seconds * 4))
    # On a thread of its own: the caller's thread may already run an event loop (in the
    # test suite, Playwright's sync API keeps one running on a worker's main thread).
    with ThreadPoolExecutor(1) as own_thread:
        found = own_thread.submit(
            asyncio.run, measure(url, tokens, rounds=5, per_round=per_round)).result()
    floor = found["healthz"]
    for kind in KINDS[1:]:
        ctx.rows.append(Row.compare(f"one request in process: {kind} vs /healthz", ctx.backend,
                                    found[kind] * 1000, floor * 1000, "ms"))
    ctx.rows.append(Row.absolute("one request in process: /healthz", ctx.backend,
                                 floor * 1000, "ms"))
    mixed = sum(found[kind] * weight for kind, weight in (("link", 30), ("tab", 30),
                                                           ("shop", 20), ("search", 20))) / 100
    ctx.rows.append(Row.compare("one request in process: the mixed workload's mean vs /healthz",
                                ctx.backend, mixed * 1000, floor * 1000, "ms"))


def main() -> None:
    import argparse

    from tests.benchmarks.databases import Databases
    from tests.benchmarks.harness import Sizes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None)
    parser.add_argument("--profile", choices=KINDS, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=40)
    options = parser.parse_args()
    databases = Databases(options.db)
    try:
        ctx = Context(databases, Sizes.named("quick"))
        url, tokens = _seed(ctx)
        found = asyncio.run(measure(url, tokens, rounds=options.rounds,
                                    per_round=options.per_round, profile=options.profile))
        for kind in KINDS:
            print(f"{kind:8} {found[kind] * 1000:7.2f} ms  {found[kind] / found['healthz']:5.2f}x")
    finally:
        databases.close()


if __name__ == "__main__":
    main()
