"""Run the fake on uvicorn: in a background thread (tests) or in the foreground (the CLI)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

__all__ = ["LiveServer", "ReadyServer", "bind_socket", "uvicorn_config", "write_port_file"]


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


def uvicorn_config(
    app: ASGIApp, *, log_level: str = "warning", access_log: bool = False
) -> uvicorn.Config:
    """uvicorn settings for the fake: quiet by default, fastest available loop and parser."""
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=access_log,
        lifespan="off",
        server_header=False,
        date_header=True,
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
