"""Run the benchmarks: ``python -m benchmarks [--only NAME ...] [--quick] [--output FILE]``.

Every figure is printed next to a baseline measured in the same run (a bare Starlette app
answering 202, served the same way) and the ratio between them; the whole table is also
written as JSON.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from . import catalog, endpoints, inprocess, live, peers, soak, startup, strategies, tokens
from .harness import Report

SUITES: dict[str, Callable[..., None]] = {
    "catalog": catalog.run,
    "endpoints": endpoints.run,
    "inprocess": inprocess.run,
    "live": live.run,
    "peers": peers.run,
    "soak": soak.run,
    "startup": startup.run,
    "strategies": strategies.run,
    "tokens": tokens.run,
}
QUICK: dict[str, dict[str, object]] = {
    "catalog": {"songs": 2_000, "count": 20},
    "endpoints": {"count": 400},
    "inprocess": {"count": 5_000},
    "live": {"seconds": 2.0, "rounds": 1},
    "peers": {"seconds": 2.0},
    "soak": {"requests": 120_000},
    "startup": {"spawns": 2, "resets": 200},
    "strategies": {"examples": 100},
    "tokens": {"count": 200},
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(SUITES), help="run only these suites")
    parser.add_argument("--quick", action="store_true", help="small bounds (a smoke run)")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results.json"))
    args = parser.parse_args(argv)
    report = Report()
    print(Report.header(), flush=True)
    started = time.perf_counter()
    for name in args.only or list(SUITES):
        SUITES[name](report, **(QUICK[name] if args.quick else {}))
    report.write(args.output)
    print(
        f"\n{len(report.figures)} figures in {time.perf_counter() - started:.0f} s, written to {args.output}"
    )


if __name__ == "__main__":
    main()
