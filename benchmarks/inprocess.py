"""In-process cost per request: direct ASGI call, httpx's ASGITransport, the respx route."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from mockserver import create_app, mint_developer_token

from .harness import Figure, Report, bare_app, drive, request_scope
from .servers import MANY_RULES, RULES, never_matching_rules

TARGET = "/v1/me/library?ids%5Bsongs%5D=1564531202%2C1577502911"


async def _through_transport(app: Any, headers: dict[str, str], count: int) -> float:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://api.music.apple.com"
    ) as client:
        for _ in range(50):
            await client.post(TARGET, headers=headers)
        start = time.perf_counter()
        for _ in range(count):
            response = await client.post(TARGET, headers=headers)
            if response.status_code != 202:
                raise RuntimeError(f"answered {response.status_code}")
        return time.perf_counter() - start


#: Requests per timed batch, and per app before timing (the fake's journal ring, 10,000
#: rows, is then full: every batch pays for the row that falls off, as a long run does).
BATCH = 500
WARM_UP = 12_000


def _best_per_request(
    apps: dict[str, Any], scope: Callable[[int], dict[str, Any]], count: int
) -> dict[str, float]:
    """µs per request of each app: the fastest of many short batches (``count`` requests per
    app in all), the apps taking turns batch by batch. As timeit recommends, the minimum is
    the figure least disturbed by the rest of a shared machine; every app, the baseline
    included, is warmed up and measured exactly the same way."""

    async def measure() -> dict[str, float]:
        for app in apps.values():
            await drive(app, scope, WARM_UP)
        best = dict.fromkeys(apps, float("inf"))
        for _ in range(max(1, count // BATCH)):
            for name, app in apps.items():
                best[name] = min(best[name], await drive(app, scope, BATCH) / BATCH * 1e6)
        return best

    return asyncio.run(measure())


def _respx_per_request(headers: dict[str, str], fake: Any, count: int) -> dict[str, float]:
    """µs per request through respx, sync and async httpx clients: a plain respx route
    answering 202 (the baseline) and the plugin's route serving ``fake``, taking turns batch
    by batch, fastest batch kept."""
    import respx

    from pytest_plugin import AppleMusicRespx

    url = "https://api.music.apple.com" + TARGET

    def plain() -> respx.MockRouter:
        router = respx.mock(assert_all_called=False)
        router.route(host="api.music.apple.com").respond(202)
        return router

    def sync_batch(client: httpx.Client, size: int) -> float:
        start = time.perf_counter()
        for _ in range(size):
            if client.post(url, headers=headers).status_code != 202:
                raise RuntimeError("not a 202")
        return (time.perf_counter() - start) / size * 1e6

    async def async_batch(client: httpx.AsyncClient, size: int) -> float:
        start = time.perf_counter()
        for _ in range(size):
            if (await client.post(url, headers=headers)).status_code != 202:
                raise RuntimeError("not a 202")
        return (time.perf_counter() - start) / size * 1e6

    def plugin() -> AppleMusicRespx:
        return AppleMusicRespx(fake)

    routes: dict[str, Callable[[], respx.MockRouter | AppleMusicRespx]] = {
        "plain": plain,
        "plugin": plugin,
    }
    best = {f"{name} {mode}": float("inf") for name in routes for mode in ("sync", "async")}
    batch = 200
    with httpx.Client() as client:
        for _ in range(max(1, count // batch)):
            for name, route in routes.items():
                with route():
                    sync_batch(client, 20)  # the route's first requests
                    best[f"{name} sync"] = min(best[f"{name} sync"], sync_batch(client, batch))

    async def asynchronous() -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(max(1, count // batch)):
                for name, route in routes.items():
                    with route():
                        await async_batch(client, 20)
                        key = f"{name} async"
                        best[key] = min(best[key], await async_batch(client, batch))

    asyncio.run(asynchronous())
    return best


def run(report: Report, *, count: int = 50_000) -> None:
    token = mint_developer_token(lifetime=24 * 3600)
    pairs = [
        ("authorization", f"Bearer {token}"),
        ("music-user-token", "bench-user"),
        ("host", "api.music.apple.com"),
        ("content-length", "0"),
    ]
    headers = dict(pairs)
    fake, bare = create_app(), bare_app()
    with_rules, with_many = create_app(), create_app()
    for rule in never_matching_rules(RULES):
        with_rules.mock.add_rule(rule)
    for rule in never_matching_rules(MANY_RULES, mixed=True):
        with_many.mock.add_rule(rule)

    def scope(index: int) -> dict[str, object]:
        return request_scope(TARGET, pairs)

    apps = {"bare": bare, "fake": fake, "rules": with_rules, "many": with_many}
    best = _best_per_request(apps, scope, count)
    report.add(
        Figure(
            "in-process: direct ASGI call (full checks, token cached)",
            best["fake"],
            "µs",
            best["bare"],
            "<= 1.5x",
        )
    )
    report.add(
        Figure(
            f"in-process: direct ASGI call, {RULES} non-matching rules",
            best["rules"],
            "µs",
            best["bare"],
            "<= 1.5x",
            "rules for other ids on the same method and path",
        )
    )
    report.add(
        Figure(
            f"in-process: req/s with {MANY_RULES:,} non-matching rules",
            1e6 / best["many"],
            "req/s",
            1e6 / best["fake"],
            ">= 0.8x",
            "baseline: the fake without rules; rules for other ids, users, types, paths, methods",
        )
    )

    small = count // 10
    bare_transport = asyncio.run(_through_transport(bare, headers, small)) / small * 1e6
    fake_transport = asyncio.run(_through_transport(fake, headers, small)) / small * 1e6
    report.add(Figure("in-process: httpx ASGITransport", fake_transport, "µs", bare_transport))

    fake.mock.reset()
    respx_best = _respx_per_request(headers, fake, count // 5)
    for mode in ("sync", "async"):
        report.add(
            Figure(
                f"in-process: the plugin's respx route, {mode} httpx client",
                respx_best[f"plugin {mode}"],
                "µs",
                respx_best[f"plain {mode}"],
                "<= 1.5x",
                "baseline: a plain respx route answering 202",
            )
        )
