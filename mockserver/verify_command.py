"""``apple-music-mock verify``: its options, and the run that prints the drift report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .config import Settings, load_config
from .verify import DEFAULT_AGAINST, DEVELOPER_TOKEN_ENV, USER_TOKEN_ENV

__all__ = ["add_parser", "run"]


def _pace(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid pace {text!r}: not a number") from None
    if not 0 <= value <= 60:
        raise argparse.ArgumentTypeError(f"invalid pace {value}: must be 0-60 seconds")
    return value


def _ids(text: str) -> tuple[str, str]:
    kind, equals, ids = text.partition("=")
    if not equals or not kind or not ids or "" in ids.split(","):
        raise argparse.ArgumentTypeError(f"invalid --ids {text!r}: expected TYPE=ID[,ID...]")
    return kind, ids


def add_parser(commands: Any, formatter: type[argparse.HelpFormatter]) -> None:
    verify = commands.add_parser(
        "verify",
        help="check the fake against the real API, or against traffic recorded from it",
        formatter_class=formatter,
        description=f"--against sends the contract's safe cases (credentials from "
        f"{DEVELOPER_TOKEN_ENV} and {USER_TOKEN_ENV}; none needed for a fake on a loopback "
        "address); --har replays a recording. Exit 0: no drift; 1: drift; 2: usage error.",
    )
    source = verify.add_mutually_exclusive_group()
    source.add_argument(
        "--against",
        metavar="URL",
        help=f"server to send the safe cases to (default: {DEFAULT_AGAINST})",
    )
    source.add_argument(
        "--har", type=Path, metavar="FILE", help="HAR 1.2 file or JSON-lines recording"
    )
    verify.add_argument("--config", type=Path, help="the fake's settings file (.toml or .json)")
    verify.add_argument(
        "--pace", type=_pace, default=0.5, help="seconds between requests to --against"
    )
    verify.add_argument(
        "--ids",
        type=_ids,
        action="append",
        default=[],
        metavar="TYPE=ID,...",
        help="also send the cases that add, with these ids (added to the account!); repeatable",
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    """Print the report; 0 when nothing drifted, 1 when something did."""
    settings = load_config(args.config) if args.config else Settings()
    if args.har is not None:
        from .har import as_json, load_recording, replay, report_text

        results = replay(load_recording(args.har), settings)
        if args.json:
            print(json.dumps(as_json(results, {"har": str(args.har)}), indent=2))
        else:
            print(report_text(results, str(args.har)))
        return 1 if any(result.verdict == "drift" for result in results) else 0
    from .verify import check_against, credentials_for
    from .verify import report_text as against_text

    url = args.against or DEFAULT_AGAINST
    developer, user = credentials_for(url)  # before any connection
    ids = dict(args.ids)
    checked = check_against(url, settings, developer, user, pace=args.pace, ids=ids)
    if args.json:
        counts = {"agree": 0, "drift": 0, "unverifiable": 0}
        for result in checked:
            counts[result.verdict] += 1
        report = {
            "against": url,
            "cases": [result.to_json() for result in checked],
            "summary": counts,
        }
        print(json.dumps(report, indent=2))
    else:
        print(against_text(checked, url))
    return 1 if any(result.verdict == "drift" for result in checked) else 0
