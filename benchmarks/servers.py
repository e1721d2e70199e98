"""Processes to measure: the fake (its CLI) and the bare baseline, served the same way."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["MANY_RULES", "RULES", "Spawned", "cpu_seconds", "never_matching_rules", "rss_mb_of"]

#: How many non-matching rules the "with rules" figures install.
RULES = 20
#: How many the "with many rules" figures install.
MANY_RULES = 1_000


def never_matching_rules(count: int, *, mixed: bool = False) -> list[dict[str, Any]]:
    """``count`` rules that never match the benchmark's add (POST, ``ids[songs]``, user
    ``bench-user``). Plain: each names other ids on the same method and path, for every user
    (each is a candidate the index must rule out by id). ``mixed``: in turn other ids, another
    user, another resource type, another path and another method, as a suite's rules are."""
    kinds: list[Callable[[int], dict[str, Any]]] = [
        lambda n: {"ids": [f"9{n:09d}"]},
        lambda n: {"user_token": f"another-user-{n}"},
        lambda n: {"types": ["music-videos"], "user_token": f"user-{n % 7}"},
        lambda n: {"method": "GET", "path": "/v1/me/library/songs"},
        lambda n: {"method": "DELETE", "ids": [f"8{n:09d}"]},
    ]
    return [
        {"match": kinds[n % len(kinds) if mixed else 0](n), "action": {"status": 503}}
        for n in range(count)
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mb_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Spawned:
    """A server process started with ``--port 0 --port-file``; ready when the file appears."""

    def __init__(self, command: list[str]) -> None:
        self._dir = tempfile.TemporaryDirectory()
        port_file = Path(self._dir.name) / "port"
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*command, "--port", "0", "--port-file", str(port_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = self.started + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if self.process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.002)
        self.ready_seconds = time.perf_counter() - self.started
        self.port = int(port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}"

    @classmethod
    def fake(cls, rules: int = 0, *, mixed: bool = False, stack: Sequence[str] = ()) -> Spawned:
        """The fake's CLI (``stack``: extra options such as ``--http h11``); with ``rules``
        installed rules that never match a benchmark request (:func:`never_matching_rules`)."""
        command = [sys.executable, "-m", "mockserver", "serve", *stack]
        if not rules:
            return cls(command)
        config = Path(tempfile.mkdtemp()) / "rules.json"
        never = never_matching_rules(rules, mixed=mixed)
        config.write_text(json.dumps({"rules": never}), encoding="utf-8")
        return cls([*command, "--config", str(config)])

    @classmethod
    def fake_with_rules(cls) -> Spawned:
        return cls.fake(rules=RULES)

    @classmethod
    def fake_with_many_rules(cls) -> Spawned:
        return cls.fake(rules=MANY_RULES, mixed=True)

    @classmethod
    def fake_pure_python(cls) -> Spawned:
        """The fake on uvicorn's pure-Python stack: what the default install served before
        httptools and uvloop became dependencies."""
        return cls.fake(stack=["--http", "h11", "--loop", "asyncio"])

    @classmethod
    def bare(cls) -> Spawned:
        return cls([sys.executable, "-m", "benchmarks.servers"])

    @classmethod
    def bare_pure_python(cls) -> Spawned:
        """The bare baseline on uvicorn's pure-Python stack: what that stack itself gives."""
        return cls(
            [sys.executable, "-m", "benchmarks.servers", "--http", "h11", "--loop", "asyncio"]
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self._dir.cleanup()

    def __enter__(self) -> Spawned:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main() -> None:
    """Serve the bare baseline exactly as the fake's CLI serves the fake."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--http", default="auto")
    parser.add_argument("--loop", default="auto")
    args = parser.parse_args()
    from mockserver.server import ReadyServer, bind_socket, uvicorn_config, write_port_file

    from .harness import bare_app

    sock = bind_socket("127.0.0.1", args.port)
    port = sock.getsockname()[1]
    config = uvicorn_config(bare_app(), http=args.http, loop=args.loop)
    server = ReadyServer(config, lambda: write_port_file(args.port_file, port))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
