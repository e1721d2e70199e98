"""``python -m benchmarks [--only NAME ...] [--requests N] [--output FILE]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import soak
from .harness import Report

SUITES = {"soak": soak.run}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="*", choices=sorted(SUITES), help="run only these")
    parser.add_argument("--requests", type=int, default=1_000_000, help="soak length")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results.json"))
    args = parser.parse_args()
    report = Report()
    print(Report.header())
    for name in args.only or sorted(SUITES):
        if name == "soak":
            soak.run(report, requests=args.requests)
        else:
            SUITES[name](report)
    report.write(args.output)
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
