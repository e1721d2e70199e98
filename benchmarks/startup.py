"""Start-up and reset: CLI spawn-to-ready, the session fixture's server, per-test reset."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from .harness import Figure, Report, bare_app
from .servers import Spawned

_COLD = """
import time
import pytest  # already imported in a pytest run
start = time.perf_counter()
from pytest_plugin.session import AppleMusicSession
session = AppleMusicSession()
session.server_url
print(time.perf_counter() - start)
session.close()
"""


#: What the ``apple_music`` fixture does on its first use (pytest_plugin/plugin.py): the
#: session's in-process app and the per-test handle; no server is started.
_COLD_FIXTURE = """
import time
import pytest  # already imported in a pytest run
start = time.perf_counter()
from pytest_plugin.session import AppleMusicSession
session = AppleMusicSession()
session.handle()
print(time.perf_counter() - start)
session.close()
"""

#: The floor under the in-process figure: the libraries an in-process fake needs.
_FIXTURE_DEPENDENCIES = """
import time
import pytest  # already imported in a pytest run
start = time.perf_counter()
import starlette.applications, jsonschema, jwt.algorithms
from cryptography.hazmat.primitives.asymmetric import ec
print(time.perf_counter() - start)
"""

#: The floor under the cold figure: importing only the libraries the first fixture use needs
#: (the server, the schemas' validator, the ES256 keys), in a fresh interpreter.
_DEPENDENCIES = """
import time
import pytest  # already imported in a pytest run
start = time.perf_counter()
import uvicorn, starlette.applications, jsonschema, jwt.algorithms
from cryptography.hazmat.primitives.asymmetric import ec
print(time.perf_counter() - start)
"""


#: A fresh interpreter as an installed package meets it: with its modules' bytecode cached
#: (pip compiles it at install). PYTHONDONTWRITEBYTECODE, set in some CI images, would make
#: every run compile the fake's sources again (about 120 ms on the reference machine).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _cold(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=_ENV,
    )
    return float(out.stdout.strip())


def _cold_figure(name: str, code: str, floor_code: str, spawns: int, note: str) -> Figure:
    """``code``'s median time in fresh interpreters, against ``floor_code``'s (interleaved)."""
    _cold(code), _cold(floor_code)  # writes the bytecode caches, as an install does
    cold, floor = [], []
    for _ in range(spawns):
        cold.append(_cold(code))
        floor.append(_cold(floor_code))
    return Figure(
        name,
        statistics.median(cold) * 1000,
        "ms",
        statistics.median(floor) * 1000,
        "<= 200 ms",
        note,
    )


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
            "baseline: the bare app served by the same CLI code",
        )
    )

    from mockserver import LiveServer
    from pytest_plugin.session import AppleMusicSession

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
            statistics.median(ready) * 1000,
            "ms",
            statistics.median(baseline) * 1000,
            "<= 150 ms",
            "baseline: bare app in LiveServer",
        )
    )

    report.add(
        _cold_figure(
            "startup: session fixture server ready, cold (median)",
            _COLD,
            _DEPENDENCIES,
            spawns,
            "first use in a fresh interpreter: imports, schemas, signing key, server; "
            "baseline: importing uvicorn, Starlette, jsonschema, PyJWT and cryptography alone",
        )
    )
    report.add(
        _cold_figure(
            "startup: first apple_music fixture use, cold (median)",
            _COLD_FIXTURE,
            _FIXTURE_DEPENDENCIES,
            spawns,
            "in a fresh interpreter, imports included (in process: no server); baseline: "
            "importing Starlette, jsonschema, PyJWT and cryptography alone",
        )
    )

    session = AppleMusicSession()
    handle = session.handle()
    timings = []
    for _ in range(resets):
        handle.add_rule(action={"status": 500}, times=1)
        start = time.perf_counter()
        handle.reset()
        timings.append(time.perf_counter() - start)
    p99 = statistics.quantiles(timings, n=100)[98] * 1e6
    report.add(
        Figure(
            "startup: per-test reset (median)",
            statistics.median(timings) * 1e6,
            "µs",
            None,
            "<= 1000 µs",
            f"p99 {p99:.1f} µs",
        )
    )
    session.close()
