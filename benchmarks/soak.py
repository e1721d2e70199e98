"""A long soak in a process of its own, with random ids over many users: memory is bounded
by the limits the settings document (``max_users`` x ``max_library_items`` library items,
``journal_size`` entries within ``journal_max_bytes``) and flat once they are reached.

Each app runs in a fresh interpreter (``python -m benchmarks.soak --child fake``) so the RSS
figures are the app's, not the benchmark's.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import random
import subprocess
import sys
import time
from typing import Any

from .harness import Figure, Report, bare_app, drive, request_scope, rss_mb

#: The soak's limits: every user's library is full after about a quarter of a
#: 1,000,000-request run over 10,000 users (two random ids per request), then every add
#: is refused with 507 and nothing more is kept.
USERS = 10_000
LIBRARY_ITEMS = 50
JOURNAL_MAX_BYTES = 64 * 1024 * 1024
#: RSS is sampled this many times over a run.
SAMPLES = 20


def _child(kind: str, requests: int, journal_size: int) -> dict[str, Any]:
    from mockserver import create_app, mint_developer_token

    authorization = ("authorization", f"Bearer {mint_developer_token(lifetime=24 * 3600)}")
    app: Any = (
        create_app(
            journal_size=journal_size,
            journal_max_bytes=JOURNAL_MAX_BYTES,
            max_users=USERS,
            max_library_items=LIBRARY_ITEMS,
        )
        if kind == "fake"
        else bare_app()
    )
    draw = random.Random(16)
    users = [[authorization, ("music-user-token", f"soak-user-{n:05d}")] for n in range(USERS)]
    statuses: collections.Counter[int] = collections.Counter()
    every = max(1, requests // SAMPLES)
    checkpoints = {0: rss_mb()}

    def scope_for(index: int) -> dict[str, Any]:
        ids = f"{draw.randrange(10**9, 10**10)}%2C{draw.randrange(10**9, 10**10)}"
        return request_scope(f"/v1/me/library?ids%5Bsongs%5D={ids}", draw.choice(users))

    def sample(done: int) -> None:
        if done % every == 0 or done == requests:
            gc.collect()
            checkpoints[done] = rss_mb()

    async def soak() -> None:
        status = 0

        async def count(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                statuses[status] += 1

        wrapped = app

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            async def both(message: Any) -> None:
                await count(message)
                await send(message)

            await wrapped(scope, receive, both)

        await drive(counting, scope_for, requests, expect=None, on_step=sample)

    start = time.perf_counter()
    asyncio.run(soak())
    result: dict[str, Any] = {
        "seconds": time.perf_counter() - start,
        "rss": checkpoints,
        "statuses": dict(statuses),
    }
    if kind == "fake":
        result["journal"] = app.mock.journal_stats()
        library = app.mock.library
        result["items"] = sum(len(library.items(user[1][1])) for user in users)
    return result


def _spawn(kind: str, requests: int, journal_size: int) -> dict[str, Any]:
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.soak",
            "--child",
            kind,
            "--requests",
            str(requests),
            "--journal-size",
            str(journal_size),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=3600,
    ).stdout
    data: dict[str, Any] = json.loads(output)
    data["rss"] = {int(k): v for k, v in data["rss"].items()}
    return data


def run(report: Report, *, requests: int = 1_000_000, journal_size: int = 10_000) -> None:
    bare = _spawn("bare", requests, journal_size)
    fake = _spawn("fake", requests, journal_size)
    report.add(
        Figure(
            "soak: µs per request (direct ASGI)",
            fake["seconds"] / requests * 1e6,
            "µs",
            bare["seconds"] / requests * 1e6,
            "",
            f"{requests:,} adds of 2 random ids, random users of {USERS:,}",
        )
    )
    report.add(Figure("soak: RSS at start", fake["rss"][0], "MB", bare["rss"][0]))
    half = min(done for done in fake["rss"] if done >= requests // 2)
    report.add(
        Figure(
            f"soak: RSS after {half:,} requests", fake["rss"][half], "MB", bare["rss"].get(half)
        )
    )
    report.add(
        Figure(
            f"soak: RSS after {requests:,} requests",
            fake["rss"][requests],
            "MB",
            bare["rss"][requests],
            "bounded",
            f"limits: {USERS:,} users x {LIBRARY_ITEMS} items, journal {journal_size:,} "
            f"entries within {JOURNAL_MAX_BYTES // 2**20} MB",
        )
    )
    last_half = [rss for done, rss in fake["rss"].items() if done >= half]
    report.add(
        Figure(
            "soak: RSS spread over the last half",
            max(last_half) - min(last_half),
            "MB",
            None,
            "within ±5 MB",
            f"change half -> end {fake['rss'][requests] - fake['rss'][half]:+.1f} MB",
        )
    )
    items = fake["items"]
    growth = fake["rss"][half] - fake["rss"][0]
    report.add(
        Figure(
            "soak: library items kept",
            items,
            "items",
            None,
            f"<= {USERS * LIBRARY_ITEMS:,}",
            f"statuses {fake['statuses']}; RSS growth to half-way {growth:.1f} MB "
            f"(~{growth * 2**20 / max(1, items):.0f} B per item, journal included)",
        )
    )
    stats = fake["journal"]
    report.add(
        Figure(
            "soak: journal entries kept",
            stats["kept"],
            "entries",
            None,
            f"== {journal_size:,}",
            f"total {stats['total']:,}, overflow {stats['overflow']:,}",
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=["fake", "bare"], required=True)
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--journal-size", type=int, default=10_000)
    args = parser.parse_args()
    print(json.dumps(_child(args.child, args.requests, args.journal_size)))
