"""A long soak: memory stays flat because the journal is a bounded ring."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from mockserver import create_app, mint_developer_token

from .harness import Figure, Report, bare_app, drive, request_scope, rss_mb


def run(report: Report, *, requests: int = 1_000_000, journal_size: int = 10_000) -> None:
    token = mint_developer_token(lifetime=24 * 3600)
    headers = [("authorization", f"Bearer {token}"), ("music-user-token", "soak-user")]

    # 50,000 distinct ids: the library grows to that size and then stays there.
    def scope_for(index: int) -> dict[str, Any]:
        return request_scope(f"/v1/me/library?ids[songs]={1_000_000 + index % 50_000}", headers)

    checkpoints: dict[int, float] = {}
    marks = {100_000, requests}

    def sample(done: int) -> None:
        if done in marks:
            gc.collect()
            checkpoints[done] = rss_mb()

    baseline_app = bare_app()
    baseline_seconds = asyncio.run(drive(baseline_app, scope_for, min(requests, 200_000)))
    baseline_rss = rss_mb()

    app = create_app(journal_size=journal_size)
    start_rss = rss_mb()
    seconds = asyncio.run(drive(app, scope_for, requests, on_step=sample))
    stats = app.mock.journal_stats()
    per_request = seconds / requests * 1e6
    baseline_per_request = baseline_seconds / min(requests, 200_000) * 1e6
    report.add(
        Figure(
            "soak: µs per request (direct ASGI, full checks)",
            per_request,
            "µs",
            baseline_per_request,
        )
    )
    report.add(Figure("soak: RSS at start", start_rss, "MB", baseline_rss))
    if 100_000 in checkpoints:
        report.add(
            Figure("soak: RSS after 100k requests", checkpoints[100_000], "MB", baseline_rss)
        )
    report.add(
        Figure(
            f"soak: RSS after {requests:,} requests",
            checkpoints[requests],
            "MB",
            baseline_rss,
            "<= 60 MB",
        )
    )
    if 100_000 in checkpoints:
        growth = checkpoints[requests] - checkpoints[100_000]
        report.add(Figure("soak: RSS growth 100k -> end", growth, "MB", None, "within ±5 MB"))
    report.add(
        Figure(
            "soak: journal kept / total / overflow",
            stats["kept"],
            "entries",
            None,
            f"== {journal_size:,}",
            f"total {stats['total']:,}, overflow {stats['overflow']:,}",
        )
    )
