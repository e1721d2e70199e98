"""Load generators: wrk when installed, else an asyncio keep-alive client. Same for both apps."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LoadResult", "run_load"]


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


_LUA = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Music-User-Token"] = "bench-user"
wrk.path = "{path}"
"""


def _found(pattern: str, text: str, flags: int = 0) -> str:
    """The first group of ``pattern`` in ``text`` (wrk's report); a clear error if absent."""
    match = re.search(pattern, text, flags)
    if match is None:
        raise RuntimeError(f"wrk's report has no {pattern!r}:\n{text}")
    return match.group(1)


def _unit_ms(value: str) -> float:
    number, unit = _found(r"^([\d.]+)(?:us|ms|s|m)$", value), _found(r"(us|ms|s|m)$", value)
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _wrk(url: str, path: str, token: str, connections: int, seconds: float) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA.format(token=token, path=path))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            script.name,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    Path(script.name).unlink()
    total = int(_found(r"(\d+) requests in ([\d.]+)(s|ms|m)", out))
    duration = float(_found(r"requests in ([\d.]+)s", out))
    p50 = _unit_ms(_found(r"^\s+50%\s+(\S+)", out, re.M))
    p99 = _unit_ms(_found(r"^\s+99%\s+(\S+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return LoadResult(total, duration, p50, p99, int(non2xx.group(1)) if non2xx else 0, "wrk")


async def _client(
    host: str, port: int, request: bytes, stop: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(_found(r"(?i)content-length: (\d+)", head.decode("latin-1")))
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 2"):
                errors.append(1)
    finally:
        writer.close()


def _asyncio(url: str, path: str, token: str, connections: int, seconds: float) -> LoadResult:
    host, port = url.removeprefix("http://").split(":")
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        "Music-User-Token: bench-user\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors: list[int] = []

    async def main() -> float:
        start = time.perf_counter()
        stop = start + seconds
        await asyncio.gather(
            *(
                _client(host, int(port), request, stop, latencies, errors)
                for _ in range(connections)
            )
        )
        return time.perf_counter() - start

    elapsed = asyncio.run(main())
    cuts = statistics.quantiles(latencies, n=100)
    return LoadResult(
        len(latencies), elapsed, cuts[49] * 1000, cuts[98] * 1000, len(errors), "asyncio"
    )


def run_load(
    url: str, path: str, token: str, *, connections: int = 16, seconds: float = 5.0
) -> LoadResult:
    """Keep-alive POST load on ``url + path`` for ``seconds``."""
    if shutil.which("wrk"):
        return _wrk(url, path, token, connections, seconds)
    return _asyncio(url, path, token, connections, seconds)
