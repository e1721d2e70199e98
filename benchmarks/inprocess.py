"""In-process cost per request: direct ASGI call, httpx's ASGITransport, the respx route."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from mockserver import create_app, mint_developer_token

from .harness import Figure, Report, bare_app, drive, request_scope
from .servers import RULES

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
    with_rules = create_app()
    for n in range(RULES):  # never matching: same method and path, every user, other ids
        with_rules.mock.add_rule(match={"ids": [f"9{n:09d}"]}, action={"status": 503})

    def scope(index: int) -> dict[str, object]:
        return request_scope(TARGET, pairs)

    timings: dict[str, list[float]] = {"fake": [], "bare": [], "rules": []}
    for _ in range(3):  # interleaved rounds, best of each
        timings["bare"].append(asyncio.run(drive(bare, scope, count)) / count * 1e6)
        timings["fake"].append(asyncio.run(drive(fake, scope, count)) / count * 1e6)
        timings["rules"].append(asyncio.run(drive(with_rules, scope, count)) / count * 1e6)
    report.add(
        Figure(
            "in-process: direct ASGI call (full checks, token cached)",
            min(timings["fake"]),
            "µs",
            min(timings["bare"]),
            "<= 1.5x",
        )
    )
    report.add(
        Figure(
            f"in-process: direct ASGI call, {RULES} non-matching rules",
            min(timings["rules"]),
            "µs",
            min(timings["bare"]),
            "<= 1.5x",
        )
    )

    small = count // 10
    bare_transport = asyncio.run(_through_transport(bare, headers, small)) / small * 1e6
    fake_transport = asyncio.run(_through_transport(fake, headers, small)) / small * 1e6
    report.add(Figure("in-process: httpx ASGITransport", fake_transport, "µs", bare_transport))

    from pytest_plugin import AppleMusicRespx

    fake.mock.reset()
    with AppleMusicRespx(fake), httpx.Client() as client:
        for _ in range(50):
            client.post("https://api.music.apple.com" + TARGET, headers=headers)
        start = time.perf_counter()
        for _ in range(small):
            client.post("https://api.music.apple.com" + TARGET, headers=headers)
        sync_respx = (time.perf_counter() - start) / small * 1e6

    async def async_respx() -> float:
        async with httpx.AsyncClient() as client:
            start = time.perf_counter()
            for _ in range(small):
                await client.post("https://api.music.apple.com" + TARGET, headers=headers)
            return (time.perf_counter() - start) / small * 1e6

    with AppleMusicRespx(fake):
        async_cost = asyncio.run(async_respx())
    report.add(
        Figure(
            "in-process: respx route, sync httpx client",
            sync_respx,
            "µs",
            bare_transport,
            "",
            "baseline: bare app via ASGITransport",
        )
    )
    report.add(
        Figure(
            "in-process: respx route, async httpx client",
            async_cost,
            "µs",
            bare_transport,
            "",
            "baseline: bare app via ASGITransport",
        )
    )
