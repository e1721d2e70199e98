"""Shared pieces: a direct ASGI driver, a bare baseline app, RSS, and the results table."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

Message = MutableMapping[str, Any]


def bare_app() -> Starlette:
    """The baseline: a bare Starlette route answering 202 with an empty body and the same
    headers the fake's 202 carries (content-type as the contract requires, content-length):
    the same bytes on the wire, so the difference is the fake's own work."""

    async def accept(request: Request) -> Response:
        return Response(
            b"", status_code=202, headers={"content-type": "application/json; charset=utf-8"}
        )

    return Starlette(routes=[Route("/v1/me/library", accept, methods=["POST"])])


def request_scope(
    target: str, headers: Sequence[tuple[str, str]], method: str = "POST"
) -> dict[str, Any]:
    path, _, query = target.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }


async def drive(
    app: ASGIApp,
    scopes: Callable[[int], dict[str, Any]],
    count: int,
    *,
    expect: int | None = 202,
    on_step: Callable[[int], None] | None = None,
    body: bytes = b"",
) -> float:
    """Call ``app`` directly ``count`` times (each request carrying ``body``); returns seconds
    elapsed. Checks every status (any is fine with ``expect`` None)."""
    request_message: Message = {"type": "http.request", "body": body, "more_body": False}
    status = 0

    async def receive() -> Message:
        return request_message

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    start = time.perf_counter()
    for index in range(count):
        await app(scopes(index), receive, send)
        if expect is not None and status != expect:
            raise RuntimeError(f"request {index} answered {status}, expected {expect}")
        if on_step is not None:
            on_step(index + 1)
    return time.perf_counter() - start


def rss_mb() -> float:
    """Resident set size of this process in MB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(self.row(figure), flush=True)
        return figure

    @staticmethod
    def row(f: Figure) -> str:
        base = "" if f.baseline is None else f"{f.baseline:,.2f}"
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}x"
        return f"{f.name:<48} {f.value:>14,.2f} {f.unit:<8} {base:>14} {ratio:>8}  {f.target:<14} {f.note}"

    @staticmethod
    def header() -> str:
        return f"{'figure':<48} {'value':>14} {'unit':<8} {'baseline':>14} {'ratio':>8}  {'target':<14} note"

    def write(self, path: Path) -> None:
        data = {
            "machine": {"python": platform.python_version(), "platform": platform.platform()},
            "figures": [{**asdict(f), "ratio": f.ratio} for f in self.figures],
        }
        path.write_text(json.dumps(data, indent=2) + "\n")
