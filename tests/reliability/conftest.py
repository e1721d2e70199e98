"""What every reliability test shares (RELIABILITY.md).

- bounds: small by default, long under ``--reliability-full`` (:func:`bound`);
- the watch: every log record of the test (the fake's own at INFO, uvicorn's, asyncio's) is
  seen; an ERROR, a traceback or a secret in one fails the test (:class:`Watch`);
- secrets: user tokens carry :data:`MARKER`, which must never appear in any output;
- in-process calls with any client and server address (:func:`call`, :func:`admin`);
- live servers on loopback, in a thread (:class:`Served`, either HTTP parser) or as the CLI
  in a subprocess (:class:`Cli`), and raw HTTP over sockets (:func:`send_raw`);
- readability checks (:func:`assert_readable`, :func:`assert_live_readable`);
- the figures of the run, printed at the end and written to ``$RELIABILITY_FIGURES``.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import pytest
from starlette.types import ASGIApp

from mockserver.server import ReadyServer, bind_socket, uvicorn_config
from mockserver.wire import exchange

from support import Reply

# --- bounds ------------------------------------------------------------------------------


class _Mode:
    full = False


MODE = _Mode()


def pytest_configure(config: pytest.Config) -> None:
    MODE.full = bool(config.getoption("--reliability-full", default=False))


def bound(small: int, large: int) -> int:
    """``small`` in the default (CI) run, ``large`` under ``--reliability-full``."""
    return large if MODE.full else small


# --- figures -----------------------------------------------------------------------------

FIGURES: dict[str, dict[str, float]] = {}
_FIGURES_LOCK = threading.Lock()


def tally(area: str, **counts: float) -> None:
    """Add ``counts`` to the figures of ``area``."""
    with _FIGURES_LOCK:
        figures = FIGURES.setdefault(area, {})
        for name, value in counts.items():
            figures[name] = figures.get(name, 0) + value


def note(area: str, **values: float) -> None:
    """Set figures of ``area`` (measurements rather than counts)."""
    with _FIGURES_LOCK:
        FIGURES.setdefault(area, {}).update(values)


REMARKS: dict[str, list[str]] = {}


def remark(area: str, text: str, *, keep: int = 3) -> None:
    """Keep a few examples of something worth reporting (printed with the figures)."""
    with _FIGURES_LOCK:
        kept = REMARKS.setdefault(area, [])
        if len(kept) < keep and text not in kept:
            kept.append(text)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES and not REMARKS:
        return
    terminalreporter.section("reliability figures")
    for area, values in sorted(FIGURES.items()):
        shown = ", ".join(
            f"{name}={value:,.1f}"
            if isinstance(value, float) and not value.is_integer()
            # integral figures print as integers
            else f"{name}={int(value):,}"
            for name, value in values.items()
        )
        terminalreporter.write_line(f"{area}: {shown}")
    for area, texts in sorted(REMARKS.items()):
        for text in texts:
            terminalreporter.write_line(f"{area}: {text}")
    target = os.environ.get("RELIABILITY_FIGURES")
    if target:
        report = {"figures": FIGURES, "remarks": REMARKS}
        Path(target).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")


# --- secrets and the watch on logs -------------------------------------------------------

#: Every user token the suite treats as secret contains this; it must never be printed,
#: logged or journaled (redaction shows a length, fingerprints are hex).
MARKER = "SeCrEtQ"


def user(label: str = "u") -> str:
    """A fresh secret Music-User-Token."""
    return f"{MARKER}-{label}-{secrets.token_hex(6)}"


class Watch:
    """Every log record emitted while a test runs: problems (ERROR and above, tracebacks)
    and leaks (a secret in a message) are kept to fail the test."""

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []
        """WARNING and above, and anything carrying a traceback."""
        self.leaks: list[str] = []
        self.seen = 0
        self.secrets: set[str] = set()
        self._checked = 0

    def secret(self, value: str) -> str:
        """Register ``value`` (a developer or admin token) as never to be shown; returns it."""
        self.secrets.add(value)
        return value

    def leaked(self, text: str | bytes) -> bool:
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        return MARKER in text or any(value in text for value in self.secrets)

    def check_text(self, text: str | bytes, where: str) -> None:
        """Fail if ``text`` (an answer, a journal, a log file) shows a secret."""
        assert not self.leaked(text), f"a secret appears in {where}: {text[:300]!r}"

    def observe(self, record: logging.LogRecord) -> None:
        self.seen += 1
        try:
            message = record.getMessage()
        except Exception as error:  # a record that cannot be formatted is a problem too
            message = f"<unformattable log record: {error!r}>"
            record.levelno = logging.ERROR
        traceback = record.exc_info is not None and record.exc_info[0] is not None
        if traceback or record.levelno >= logging.WARNING or "Traceback" in message:
            self.records.append(record)
        if self.leaked(message) or (record.exc_text and self.leaked(record.exc_text)):
            self.leaks.append(f"{record.name} {record.levelname}: {message[:300]}")

    def problems(self, since: int = 0) -> list[str]:
        found = []
        for record in self.records[since:]:
            message = record.getMessage()
            traceback = record.exc_info is not None and record.exc_info[0] is not None
            if record.levelno >= logging.ERROR or traceback or "Traceback" in message:
                error = record.exc_info[0] if record.exc_info else None
                kind = f" ({error.__name__})" if error is not None else ""
                found.append(f"{record.name} {record.levelname}{kind}: {message[:300]}")
        return found

    def assert_clean(self) -> None:
        """No ERROR, traceback or leak since the last call (or the test's start)."""
        problems = self.problems(self._checked)
        self._checked = len(self.records)
        leaks, self.leaks = self.leaks, []
        assert not problems, "log records show a failure:\n" + "\n".join(problems)
        assert not leaks, "log records show a secret:\n" + "\n".join(leaks)


_FAKE_LOGGER = logging.getLogger("apple_music_mock")


@pytest.fixture(autouse=True)
def watch() -> Iterator[Watch]:
    """The test's :class:`Watch`: the fake logs at INFO (refusal reasons, and the access log
    of apps with ``access_log``) and everything is checked after the test."""
    current = Watch()
    original = logging.Logger.handle

    def handle(self: logging.Logger, record: logging.LogRecord) -> None:
        current.observe(record)
        original(self, record)

    level, propagate = _FAKE_LOGGER.level, _FAKE_LOGGER.propagate
    quiet = logging.NullHandler()
    logging.Logger.handle = handle  # type: ignore[method-assign]
    _FAKE_LOGGER.setLevel(logging.INFO)
    # The fake's INFO lines stay out of pytest's capture (a long run logs a lot); the watch
    # sees each record before it would propagate, and reports problems itself.
    _FAKE_LOGGER.propagate = False
    _FAKE_LOGGER.addHandler(quiet)
    try:
        yield current
    finally:
        logging.Logger.handle = original  # type: ignore[method-assign]
        _FAKE_LOGGER.setLevel(level)
        _FAKE_LOGGER.propagate = propagate
        _FAKE_LOGGER.removeHandler(quiet)
    current.assert_clean()


# --- in-process calls --------------------------------------------------------------------

Address = tuple[str, int]
HeaderList = Sequence[tuple[bytes, bytes]]


def _header_list(headers: HeaderList | Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    if isinstance(headers, Mapping):
        return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    return list(headers)


def call(
    app: ASGIApp,
    method: str,
    target: str | bytes,
    headers: HeaderList | Mapping[str, str] = (),
    body: bytes = b"",
    *,
    client: Address | None = ("127.0.0.1", 50000),
    server: Address | None = ("127.0.0.1", 8080),
) -> Reply:
    """One request straight into the ASGI app, the target passed raw (no re-encoding), from
    and to any address. A fault the app raises in process propagates."""
    raw = target.encode("latin-1") if isinstance(target, str) else target
    path, _, query = raw.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path.decode("latin-1")),
        "raw_path": path,
        "query_string": query,
        "root_path": "",
        "headers": _header_list(headers),
        "client": client,
        "server": server,
    }
    answer = asyncio.run(exchange(app, scope, body))
    assert answer.status, "the app sent nothing"
    answer_headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in answer.headers
    }
    return Reply(answer.status, answer_headers, answer.body)


def admin(
    app: ASGIApp,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    headers: HeaderList = (),
) -> Reply:
    """An admin API call in process: ``body`` as JSON, or ``raw`` bytes."""
    data = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
    return call(
        app,
        method,
        "/_mock" + path,
        [(b"content-type", b"application/json"), *headers],
        data,
    )


READ_BACK = ("/health", "/config", "/rules", "/clock", "/journal/count", "/journal")


def assert_readable(app: ASGIApp, watch: Watch | None = None) -> int:
    """Every admin read answers 200 with JSON, the whole journal included (checked for
    secrets when a watch is given); returns the number of journal entries."""
    count = -1
    for path in READ_BACK:
        reply = admin(app, "GET", path)
        assert reply.status == 200, (path, reply.status, reply.body[:300])
        data = json.loads(reply.body)
        if path == "/journal":
            count = int(data["count"])
            if watch is not None:
                watch.check_text(reply.body, "the journal")
    return count


def assert_apple_error(reply: Reply, status: int, code: str | None = None) -> dict[str, Any]:
    """An Apple-shaped errors answer of ``status`` (and ``code``)."""
    assert reply.status == status, (reply.status, reply.body[:300])
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
    errors = json.loads(reply.body)["errors"]
    assert len(errors) == 1, errors
    error: dict[str, Any] = errors[0]
    assert error["status"] == str(status)
    if code is not None:
        assert error["code"] == code, error
    return error


# --- live servers ------------------------------------------------------------------------

LOOPBACK = "127.0.0.1"


class Served:
    """The app on uvicorn in a background thread on loopback, as :class:`~mockserver.LiveServer`
    serves it, with a choice of HTTP parser (``auto`` is httptools when installed, or ``h11``)."""

    def __init__(self, app: ASGIApp, *, http: str = "auto", host: str = LOOPBACK) -> None:
        self.app = app
        self.host = host
        self.http = http
        self._socket = bind_socket(host, 0)
        self.port: int = self._socket.getsockname()[1]
        self._ready = threading.Event()
        self._server = ReadyServer(uvicorn_config(app, http=http), self._ready.set)
        self._thread = threading.Thread(target=self._run, name=f"served-{http}", daemon=True)
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as error:
            self._error = error
            self._ready.set()

    def __enter__(self) -> Served:
        self._thread.start()
        if not self._ready.wait(20) or self._error is not None:
            self.stop()
            raise RuntimeError(f"server did not start: {self._error!r}")
        return self

    def stop(self, timeout: float = 30) -> float:
        """Stop it; the seconds it took."""
        started = time.monotonic()
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()
        assert not self._thread.is_alive(), "the server thread did not stop"
        return time.monotonic() - started

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass
class Raw:
    """What came back on a raw connection: an HTTP answer (``status``) or none."""

    status: int | None
    head: bytes = b""
    body: bytes = b""
    reset: bool = False
    extra: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)


def _parse_head(head: bytes) -> tuple[int, dict[bytes, bytes]]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    assert len(parts) >= 2, lines[0]
    assert parts[0].startswith(b"HTTP/1."), lines[0]
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.setdefault(name.strip().lower(), value.strip())
    return int(parts[1]), headers


def read_answer(sock: socket.socket, *, head_request: bool = False) -> Raw:
    """Read one HTTP answer from ``sock`` (1xx interim answers skipped), or what there is
    when the server closes or resets the connection. A timeout raises."""
    buffer = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return Raw(None, extra=buffer, reset=True)
        if not chunk:
            return Raw(None, extra=buffer)
        buffer += chunk
        while b"\r\n\r\n" in buffer:
            head, _, rest = buffer.partition(b"\r\n\r\n")
            status, headers = _parse_head(head)
            if 100 <= status < 200 and status != 101:
                buffer = rest  # 100 Continue: the real answer follows
                continue
            return _read_body(sock, head, status, headers, rest, head_request)


def _read_body(
    sock: socket.socket,
    head: bytes,
    status: int,
    headers: dict[bytes, bytes],
    rest: bytes,
    head_request: bool,
) -> Raw:
    answer = Raw(status, head, headers=headers)
    if head_request or status in (101, 204, 304):
        answer.extra = rest
        return answer
    length = headers.get(b"content-length")
    chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
    while True:
        if length is not None and len(rest) >= int(length):
            answer.body, answer.extra = rest[: int(length)], rest[int(length) :]
            return answer
        if chunked and (rest.endswith(b"0\r\n\r\n")):
            answer.body = rest
            return answer
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            answer.body, answer.reset = rest, True
            return answer
        if not chunk:
            answer.body = rest
            return answer
        rest += chunk


def send_raw(
    port: int,
    data: bytes | Sequence[bytes],
    *,
    timeout: float = 10.0,
    pause: float = 0.0,
    head_request: bool = False,
) -> Raw:
    """Send ``data`` (or its pieces, ``pause`` seconds apart) on a new loopback connection
    and read the answer."""
    pieces = [data] if isinstance(data, bytes) else list(data)
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        try:
            for index, piece in enumerate(pieces):
                if index and pause:
                    time.sleep(pause)
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed early (say, on an oversize head): read what it said
        try:
            return read_answer(sock, head_request=head_request)
        except TimeoutError:
            raise AssertionError(
                f"no answer and no close within {timeout} s to {pieces[0][:120]!r}"
            ) from None


def request_bytes(
    method: str, target: str, headers: Mapping[str, str] | None = None, body: bytes = b""
) -> bytes:
    """A well-formed HTTP/1.1 request."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def get(port: int, target: str, headers: Mapping[str, str] | None = None) -> Raw:
    return send_raw(port, request_bytes("GET", target, headers))


def assert_healthy(port: int, *, timeout: float = 10.0) -> None:
    """The server answers its health check on a fresh connection."""
    answer = send_raw(port, request_bytes("GET", "/_mock/health"), timeout=timeout)
    assert answer.status == 200, answer
    assert json.loads(answer.body) == {"status": "ok"}


def assert_live_readable(port: int, watch: Watch | None = None) -> int:
    """:func:`assert_readable` over HTTP; returns the number of journal entries."""
    count = -1
    for path in READ_BACK:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
        try:
            connection.request("GET", "/_mock" + path)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        assert response.status == 200, (path, response.status, content[:300])
        data = json.loads(content)
        if path == "/journal":
            count = int(data["count"])
            if watch is not None:
                watch.check_text(content, "the journal over HTTP")
    return count


class Client:
    """A keep-alive HTTP client on loopback (reconnects when the server closed)."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, target: str, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    LOOPBACK, self.port, timeout=self.timeout
                )
            try:
                self.connection.request(method, target, body=body or None, headers=headers or {})
                response = self.connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.getheader("connection", "").lower() == "close":
                self.close()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# --- the command line in a subprocess ----------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (VmRSS, /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


class Cli:
    """``apple-music-mock serve --port 0 --port-file F ARGS`` in a subprocess, its output in
    files. ``code`` runs instead of ``python -m mockserver`` (it gets the same argv)."""

    def __init__(
        self,
        workdir: Path,
        *args: str,
        code: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        stamp = time.monotonic_ns()
        self.port_file = workdir / f"port-{stamp}"
        self.out_path = workdir / f"stdout-{stamp}"
        self.err_path = workdir / f"stderr-{stamp}"
        argv = ["serve", "--port", "0", "--port-file", str(self.port_file), *args]
        command = [sys.executable, *(["-c", code] if code else ["-m", "mockserver"]), *argv]
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=err, cwd=workdir, env=dict(env or os.environ)
            )
        deadline = time.monotonic() + 30
        while not self.port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait(10)
                raise AssertionError(f"the server did not start: {self.stderr()}")
            time.sleep(0.02)
        self.port = int(self.port_file.read_text())

    @property
    def pid(self) -> int:
        return self.process.pid

    def stdout(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[int, float]:
        """Send ``sig`` and wait: (exit code, seconds it took to exit)."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout)
        return code, time.monotonic() - started

    def __enter__(self) -> Cli:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def assert_clean_output(self, watch: Watch) -> None:
        """No traceback and no ERROR line in its output, and no secret."""
        for name, text in (("stdout", self.stdout()), ("stderr", self.stderr())):
            assert "Traceback" not in text, f"{name}:\n{text[-3000:]}"
            assert "ERROR" not in text, f"{name}:\n{text[-3000:]}"
            watch.check_text(text, f"the server's {name}")
