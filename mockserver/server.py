"""Run the fake on uvicorn — in a background thread (tests) or in the foreground (the CLI) —
with its connection limits: at most ``max_connections`` open, request headers within
``header_timeout_seconds``, a graceful shutdown bounded by ``shutdown_timeout_seconds``."""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from .config import Settings

__all__ = [
    "LiveServer",
    "ReadyServer",
    "bind_socket",
    "guarded_protocol",
    "is_loopback_host",
    "uvicorn_config",
    "write_port_file",
]

log = logging.getLogger("apple_music_mock")


def is_loopback_host(host: str) -> bool:
    """Whether binding ``host`` keeps the fake on this machine."""
    if host == "localhost":
        return True
    try:
        import ipaddress

        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """Bind (and keep) a listening socket; port 0 lets the OS choose, with no race."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def write_port_file(path: Path, port: int) -> None:
    """Write ``port`` to ``path`` whole or not at all: a script polling for the file never
    reads it empty."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{port}\n", encoding="ascii")
    os.replace(partial, path)


def _base_protocol(http: str) -> type[asyncio.Protocol]:
    if http == "h11":
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        if http == "httptools":
            raise
        return _base_protocol("h11")
    return HttpToolsProtocol


def guarded_protocol(
    *, max_connections: int, header_timeout: float, http: str = "auto"
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (``h11``, ``httptools`` or ``auto``) with the fake's limits:
    a connection past ``max_connections`` is closed at once, and one that has not sent a
    request's headers within ``header_timeout`` seconds (after connecting, or after its last
    answer) is closed."""
    base: Any = _base_protocol(http)

    class Guarded(base):  # type: ignore[misc]  # uvicorn's protocols are untyped here
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                transport.abort()
                return
            self._arm_header_timer()

        def _arm_header_timer(self) -> None:
            waiting_for = self.cycle
            self._header_timer = self.loop.call_later(
                header_timeout, self._headers_too_slow, waiting_for
            )

        def _headers_too_slow(self, waiting_for: object) -> None:
            if self.cycle is waiting_for and not self.transport.is_closing():
                self.transport.close()  # no new request's headers arrived in time

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            timer = getattr(self, "_header_timer", None)
            if timer is not None:
                timer.cancel()
            super().connection_lost(exc)

    Guarded.__name__ = f"Guarded{base.__name__}"
    return Guarded


def _settings_of(app: ASGIApp) -> Settings:
    mock = getattr(app, "mock", None)
    return mock.settings if mock is not None else Settings()


def _enough_file_descriptors(wanted: int) -> None:
    """Raise the soft open-files limit to fit ``wanted`` connections (plus what the process
    itself holds), or warn that connections will be refused earlier."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + 64
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            target = soft
        if target < needed:
            log.warning(
                "max_connections=%d but only %d file descriptors are allowed (ulimit -n): "
                "connections past about %d will fail",
                wanted,
                target,
                target - 64,
            )


def uvicorn_config(
    app: ASGIApp,
    *,
    log_level: str = "warning",
    access_log: bool = False,
    http: str = "auto",
    loop: str = "auto",
    tls: tuple[Path, Path] | None = None,
) -> uvicorn.Config:
    """uvicorn settings for the fake: quiet, with the limits of its settings, and HTTPS with
    ``tls`` (certificate and key files). (The fake writes its own access log, with
    credentials redacted, so uvicorn's stays off.)"""
    settings = _settings_of(app)
    _enough_file_descriptors(settings.max_connections)
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=access_log,
        lifespan="off",
        server_header=False,
        date_header=True,
        http=guarded_protocol(
            max_connections=settings.max_connections,
            header_timeout=settings.header_timeout_seconds,
            http=http,
        ),
        loop=loop,
        timeout_keep_alive=max(1, round(settings.header_timeout_seconds)),
        timeout_graceful_shutdown=round(settings.shutdown_timeout_seconds),
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
    )


class ReadyServer(uvicorn.Server):
    """uvicorn.Server that calls ``on_ready`` once it is listening."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_ready()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Requests waiting in a scripted delay are answered now, so the graceful shutdown
        # does not wait for them (or cancel them with tracebacks).
        mock = getattr(self.config.app, "mock", None)
        if mock is not None:
            mock.end_delays()
        await super().shutdown(sockets)


class LiveServer:
    """The app served by uvicorn on loopback from a background thread.

    >>> from mockserver import create_app
    >>> with LiveServer(create_app()) as server:
    ...     server.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        if not is_loopback_host(host):
            log.warning("LiveServer on %s: reachable from other machines", host)
        self._socket = bind_socket(host, port)
        self.port: int = self._socket.getsockname()[1]
        self._ready = threading.Event()
        self._server = ReadyServer(uvicorn_config(app), self._ready.set)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 10.0) -> LiveServer:
        if self._thread is not None:
            raise RuntimeError("server already started")
        self._thread = threading.Thread(target=self._run, name="apple-music-mock", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            self.stop()
            raise RuntimeError(f"server did not start within {timeout} s: {self._error!r}")
        return self

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as error:  # surfaced by start()
            self._error = error
            self._ready.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._socket.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<LiveServer {self.url}>"
