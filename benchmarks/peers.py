"""Optional peer columns: WireMock (npm ``wiremock``) and Prism (npm ``@stoplight/prism-cli``)
serving the same endpoint, measured with the same load. Skipped when not installed.

Looked up on PATH and in ``./node_modules/.bin`` (or ``$APPLE_MUSIC_MOCK_PEERS`` pointing to
a ``node_modules/.bin`` folder).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from mockserver import mint_developer_token
from mockserver.schemas import load_schemas

from .harness import Figure, Report
from .live import PATH
from .load import run_load
from .servers import cpu_seconds, rss_mb_of

_MAPPING = {
    "request": {"method": "POST", "urlPath": "/v1/me/library"},
    "response": {"status": 202, "headers": {"content-type": "application/json; charset=utf-8"}},
}


def _find(name: str) -> str | None:
    folders = [
        os.environ.get("APPLE_MUSIC_MOCK_PEERS", ""),
        str(Path("node_modules/.bin").resolve()),
    ]
    for folder in folders:
        if folder and (Path(folder) / name).exists():
            return str(Path(folder) / name)
    return shutil.which(name)


def _free_port() -> int:
    from mockserver.server import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return time.perf_counter() - start
        except urllib.error.HTTPError:  # any answer means it is listening
            return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} not ready after {timeout} s")


def _tree_rss(pid: int) -> float:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout.split()
    return rss_mb_of(pid) + sum(_tree_rss(int(child)) for child in children)


def _tree_cpu(pid: int) -> float:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout.split()
    return cpu_seconds(pid) + sum(_tree_cpu(int(child)) for child in children)


def _measure(
    report: Report, name: str, command: list[str], ready_url: str, url: str, seconds: float
) -> None:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        _wait(ready_url, process)
        ready = time.perf_counter() - started
        token = mint_developer_token(lifetime=24 * 3600)
        run_load(url, PATH, token, seconds=1.0)
        cpu = _tree_cpu(process.pid)
        result = run_load(url, PATH, token, seconds=seconds)
        cpu = (_tree_cpu(process.pid) - cpu) / max(result.requests, 1) * 1e6
        report.add(
            Figure(
                f"peer {name}: req/s", result.rps, "req/s", None, "", f"non-2xx: {result.errors}"
            )
        )
        report.add(Figure(f"peer {name}: p99 latency", result.p99_ms, "ms"))
        report.add(Figure(f"peer {name}: server CPU per request", cpu, "µs"))
        report.add(Figure(f"peer {name}: spawn to ready", ready, "s"))
        report.add(Figure(f"peer {name}: RSS after load", _tree_rss(process.pid), "MB"))
    finally:
        os.killpg(process.pid, 15)
        process.wait(20)


def run(report: Report, *, seconds: float = 5.0) -> None:
    wiremock, prism = _find("wiremock"), _find("prism")
    if wiremock is None:
        print("peer WireMock: skipped (npm package 'wiremock' not installed)")
    else:
        with tempfile.TemporaryDirectory() as root:
            (Path(root) / "mappings").mkdir()
            (Path(root) / "mappings" / "library.json").write_text(json.dumps(_MAPPING))
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            command = [
                wiremock,
                "--port",
                str(port),
                "--bind-address",
                "127.0.0.1",
                "--root-dir",
                root,
                "--disable-banner",
                "--no-request-journal",
            ]
            _measure(report, "WireMock", command, f"{url}/__admin/mappings", url, seconds)
    if prism is None:
        print("peer Prism: skipped (npm package '@stoplight/prism-cli' not installed)")
    else:
        with tempfile.TemporaryDirectory() as folder:
            spec = Path(folder) / "openapi.json"
            spec.write_text(json.dumps(load_schemas().bundled_openapi()))
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            command = [
                prism,
                "mock",
                str(spec),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--errors",
            ]
            _measure(report, "Prism", command, f"{url}/v1/me/library?ids[songs]=1", url, seconds)
