"""Live server: throughput, latency and server CPU per request, fake vs bare baseline."""

from __future__ import annotations

import statistics
from collections.abc import Callable

from mockserver import mint_developer_token

from .harness import Figure, Report
from .load import LoadResult, run_load
from .servers import MANY_RULES, RULES, Spawned, cpu_seconds, rss_mb_of

PATH = "/v1/me/library?ids%5Bsongs%5D=1564531202%2C1577502911"


def _measure(factory: str, token: str, seconds: float) -> tuple[LoadResult, float, float, float]:
    with getattr(Spawned, factory)() as server:
        run_load(server.url, PATH, token, seconds=1.0)  # warm-up
        cpu_before = cpu_seconds(server.process.pid)
        result = run_load(server.url, PATH, token, seconds=seconds)
        cpu = cpu_seconds(server.process.pid) - cpu_before
        return (
            result,
            cpu / result.requests * 1e6,
            server.ready_seconds,
            rss_mb_of(server.process.pid),
        )


def run(report: Report, *, seconds: float = 5.0, rounds: int = 3) -> None:
    token = mint_developer_token(lifetime=24 * 3600)
    fake_runs, bare_runs, rules_runs, many_runs, pure_runs, bare_pure_runs = [], [], [], [], [], []
    for _ in range(rounds):  # interleaved, medians reported
        bare_runs.append(_measure("bare", token, seconds))
        fake_runs.append(_measure("fake", token, seconds))
        rules_runs.append(_measure("fake_with_rules", token, seconds))
        many_runs.append(_measure("fake_with_many_rules", token, seconds))
        pure_runs.append(_measure("fake_pure_python", token, seconds))
        bare_pure_runs.append(_measure("bare_pure_python", token, seconds))

    Run = tuple[LoadResult, float, float, float]
    Pick = Callable[[Run], float]

    def median(runs: list[Run], pick: Pick) -> float:
        return float(statistics.median(pick(run) for run in runs))

    def compare(
        name: str, runs: list[Run], baseline: list[Run], pick: Pick, unit: str, *extra: str
    ) -> None:
        report.add(Figure(name, median(runs, pick), unit, median(baseline, pick), *extra))

    def rps(run: Run) -> float:
        return run[0].rps

    def cpu(run: Run) -> float:
        return run[1]

    tool = fake_runs[0][0].tool
    errors = sum(run[0].errors for run in fake_runs)
    compare(
        f"live: req/s ({tool}, 16 conns, keep-alive)",
        fake_runs,
        bare_runs,
        rps,
        "req/s",
        ">= 0.85x",
        f"non-2xx: {errors}",
    )
    compare(
        f"live: req/s with {RULES} installed rules that do not match",
        rules_runs,
        bare_runs,
        rps,
        "req/s",
        ">= 0.85x",
        f"non-2xx: {sum(run[0].errors for run in rules_runs)}",
    )
    compare(
        f"live: req/s with {MANY_RULES:,} installed rules that do not match",
        many_runs,
        fake_runs,
        rps,
        "req/s",
        ">= 0.8x",
        "baseline: the fake without rules; rules for other ids, users, types, paths, methods",
    )
    compare(
        "live: default install vs --http h11 --loop asyncio",
        fake_runs,
        pure_runs,
        rps,
        "req/s",
        ">= 2.5x",
        "baseline: the fake on uvicorn's pure-Python stack (the old default install)",
    )
    compare(
        "live: the bare app, default stack vs --http h11 --loop asyncio",
        bare_runs,
        bare_pure_runs,
        rps,
        "req/s",
        "",
        "what uvicorn's two stacks give by themselves on this machine",
    )
    compare(
        "live: server CPU per request, --http h11 --loop asyncio",
        pure_runs,
        bare_pure_runs,
        cpu,
        "µs",
    )
    compare("live: p50 latency", fake_runs, bare_runs, lambda r: r[0].p50_ms, "ms")
    compare("live: p99 latency", fake_runs, bare_runs, lambda r: r[0].p99_ms, "ms", "<= 2x")
    compare("live: server CPU per request", fake_runs, bare_runs, cpu, "µs")
    compare("live: RSS after load", fake_runs, bare_runs, lambda r: r[3], "MB")
