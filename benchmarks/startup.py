"""Start-up and reset: CLI spawn-to-ready, the session fixture's server, per-test reset."""

from __future__ import annotations

import statistics
import time

from .harness import Figure, Report, bare_app
from .servers import Spawned


def run(report: Report, *, spawns: int = 6, resets: int = 2000) -> None:
    fake, bare = [], []
    for _ in range(spawns):
        with Spawned.bare() as server:
            bare.append(server.ready_seconds)
        with Spawned.fake() as server:
            fake.append(server.ready_seconds)
    report.add(
        Figure(
            "startup: CLI spawn to ready (median)",
            statistics.median(fake),
            "s",
            statistics.median(bare),
            "<= 0.5 s",
        )
    )

    from mockserver import LiveServer
    from pytest_plugin.plugin import AppleMusicSession

    baseline = []
    for _ in range(spawns):
        start = time.perf_counter()
        live = LiveServer(bare_app()).start()
        baseline.append(time.perf_counter() - start)
        live.stop()
    ready = []
    for _ in range(spawns):
        start = time.perf_counter()
        session = AppleMusicSession()
        session.server_url  # noqa: B018 - builds the app, starts uvicorn, waits until ready
        ready.append(time.perf_counter() - start)
        session.close()
    report.add(
        Figure(
            "startup: session fixture server ready (median)",
            statistics.median(ready),
            "s",
            statistics.median(baseline),
            "<= 0.15 s",
            "baseline: bare app in LiveServer",
        )
    )

    session = AppleMusicSession()
    handle = session.handle()
    handle.add_rule(action={"status": 500}, times=1)
    timings = []
    for _ in range(resets):
        handle.add_rule(action={"status": 500}, times=1)
        start = time.perf_counter()
        handle.reset()
        timings.append(time.perf_counter() - start)
    report.add(
        Figure(
            "startup: per-test reset (median)",
            statistics.median(timings) * 1000,
            "ms",
            None,
            "<= 1 ms",
            f"p99 {statistics.quantiles(timings, n=100)[98] * 1000:.3f} ms",
        )
    )
    session.close()
