"""Serve Apple's hosts from the fake through respx: httpx clients need no sockets."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

import httpx
import respx

from mockserver import TransportFault

__all__ = ["APPLE_HOSTS", "AppleMusicRespx"]

#: The API host and the web player's host: the fake serves the same path on both.
APPLE_HOSTS = ("api.music.apple.com", "amp-api.music.apple.com")

T = TypeVar("T")


def _fault_error(fault: TransportFault, request: httpx.Request) -> httpx.TransportError:
    if fault.kind == "connection_reset":
        return httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
    if fault.kind == "empty_response":
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    return httpx.RemoteProtocolError(
        "peer closed connection without sending complete message body", request=request
    )


class _Portal:
    """One background event loop for sync clients (their thread may already run a loop)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="apple-music-respx", daemon=True
        )
        self.thread.start()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def _called_from_async_router() -> bool:
    # respx calls side effects from Router.resolve (sync clients) or Router.aresolve (async
    # clients); only the latter awaits what it gets back.
    frame = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return False
        if frame.f_code.co_name == "aresolve":
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class AppleMusicRespx:
    """A respx router that answers Apple Music library requests with ``app`` (or, with
    ``forward_to``, with a server elsewhere); every other request passes through.

    Use as a context manager; ``router`` is the active :class:`respx.MockRouter`::

        with AppleMusicRespx(create_app()) as mocked:
            httpx.post("https://api.music.apple.com/v1/me/library?ids[songs]=1", headers=...)
    """

    def __init__(self, app: Any = None, *, forward_to: str | None = None) -> None:
        if (app is None) == (forward_to is None):
            raise ValueError("give exactly one of app or forward_to")
        self.app = app
        self.forward_to = forward_to.rstrip("/") if forward_to else None
        self.transport = httpx.ASGITransport(app=app) if app is not None else None
        self.router = respx.mock(assert_all_called=False, assert_all_mocked=True)
        hosts = "|".join(re.escape(host) for host in APPLE_HOSTS)
        self.route = self.router.route(
            host__regex=f"^(?:{hosts})$", path__startswith="/v1/me/library"
        )
        self.route.side_effect = self._side_effect
        self.router.route().pass_through()
        self._portal: _Portal | None = None
        self._lock = threading.Lock()

    def _side_effect(self, request: httpx.Request) -> Any:
        if _called_from_async_router():
            return self._handle(request)
        with self._lock:
            if self._portal is None:
                self._portal = _Portal()
        return self._portal.call(self._handle(request))

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if self.forward_to is not None:
            url = httpx.URL(self.forward_to + request.url.raw_path.decode("ascii"))
            async with httpx.AsyncClient() as client:
                forwarded = await client.request(
                    request.method, url, headers=request.headers, content=body
                )
                return httpx.Response(
                    forwarded.status_code,
                    headers=forwarded.headers,
                    content=forwarded.content,
                    request=request,
                )
        inner = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        assert self.transport is not None
        try:
            response = await self.transport.handle_async_request(inner)
            content = await response.aread()
        except TransportFault as fault:
            raise _fault_error(fault, request) from None
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    def __enter__(self) -> AppleMusicRespx:
        self.router.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.router.__exit__(exc_type, exc, tb)
        if self._portal is not None:
            self._portal.close()
            self._portal = None
