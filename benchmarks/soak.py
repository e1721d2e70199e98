"""A long soak in a process of its own: memory stays flat because the journal is a ring.

Each app runs in a fresh interpreter (``python -m benchmarks.soak --child fake``) so the RSS
figures are the app's, not the benchmark's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from typing import Any

from .harness import Figure, Report, bare_app, drive, request_scope, rss_mb


def _child(kind: str, requests: int, journal_size: int) -> dict[str, Any]:
    from mockserver import create_app, mint_developer_token

    token = mint_developer_token(lifetime=24 * 3600)
    headers = [
        ("authorization", f"Bearer {token}"),
        ("music-user-token", "soak-user"),
        ("content-length", "0"),
    ]
    app: Any = create_app(journal_size=journal_size) if kind == "fake" else bare_app()
    checkpoints = {0: rss_mb()}
    marks = {100_000, 500_000, requests}

    def scope_for(index: int) -> dict[str, Any]:
        # 5,000 distinct ids (a large personal library): it grows to that size, then stays.
        return request_scope(f"/v1/me/library?ids[songs]={1_000_000 + index % 5_000}", headers)

    def sample(done: int) -> None:
        if done in marks:
            gc.collect()
            checkpoints[done] = rss_mb()

    start = time.perf_counter()
    asyncio.run(drive(app, scope_for, requests, on_step=sample))
    result: dict[str, Any] = {"seconds": time.perf_counter() - start, "rss": checkpoints}
    if kind == "fake":
        result["journal"] = app.mock.journal_stats()
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
        )
    )
    report.add(Figure("soak: RSS at start", fake["rss"][0], "MB", bare["rss"][0]))
    if 100_000 in fake["rss"]:
        report.add(
            Figure(
                "soak: RSS after 100k requests",
                fake["rss"][100_000],
                "MB",
                bare["rss"].get(100_000),
            )
        )
    report.add(
        Figure(
            f"soak: RSS after {requests:,} requests",
            fake["rss"][requests],
            "MB",
            bare["rss"][requests],
            "<= 60 MB",
        )
    )
    if 100_000 in fake["rss"] and requests > 100_000:
        growth = fake["rss"][requests] - fake["rss"][100_000]
        report.add(Figure("soak: RSS change 100k -> end", growth, "MB", None, "within ±5 MB"))
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
