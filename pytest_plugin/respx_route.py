"""Serve Apple's hosts from the fake through respx: httpx clients need no sockets.

Every request to an Apple Music API host is answered by the fake (an unknown path gets its
Apple-shaped 404) and never reaches the network. Requests to other hosts are left to the
other respx routers in force (a test's own ``respx_mock``, in whichever order the fixtures
were set up) and pass through to the network only when no other router is there.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, TypeVar, cast
from urllib.parse import unquote

from mockserver import MockApp, TransportFault
from mockserver.faults import SERVED_IN_PLACE
from mockserver.wire import exchange

from .extras import missing_extra
from .seal import APPLE_HOSTS

try:
    import httpx
    import respx
    from respx.models import SideEffectError
except ImportError as _error:
    raise missing_extra(_error, "apple_music_respx (the respx route)") from None

__all__ = ["APPLE_HOSTS", "AppleMusicRespx"]

T = TypeVar("T")

_ASYNC_CALLER: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "apple_music_respx_async", default=False
)


class _Router(respx.MockRouter):
    """A respx router that tells its side effects whether an async client is asking."""

    async def aresolve(self, request: httpx.Request) -> Any:
        token = _ASYNC_CALLER.set(True)
        try:
            return await super().aresolve(request)
        finally:
            _ASYNC_CALLER.reset(token)


class _AppleRoute(respx.Route):
    """The route of the Apple hosts: every request it matches is answered by ``serve``
    (respx's own side-effect call inspects the callable's signature on every request)."""

    def __init__(self, serve: Callable[[httpx.Request], Any], **lookups: Any) -> None:
        super().__init__(**lookups)
        self._serve = serve

    def resolve(self, request: httpx.Request, **kwargs: Any) -> Any:
        if self._side_effect is not None or self._return_value is not None:
            return super().resolve(request, **kwargs)  # the user scripted this route
        try:
            return self._serve(request)
        except Exception as error:  # recorded and re-raised as respx does for side effects
            raise SideEffectError(self, origin=error) from error


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
    """One background event loop, for sync clients called where a loop already runs."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="apple-music-respx", daemon=True
        )
        self.thread.start()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 300) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


async def _asgi(app: MockApp, request: httpx.Request) -> httpx.Response:
    """``request`` through the fake's request path, as a server would hand it over."""
    url = request.url
    raw_path = url.raw_path.partition(b"?")[0]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": url.query,
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in request.headers.raw],
        "client": ("127.0.0.1", 0),
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
    }
    try:
        answer = await exchange(app.mock.pipeline, scope, request.content)
    except TransportFault as fault:
        raise _fault_error(fault, request) from None
    return httpx.Response(
        answer.status, headers=answer.headers, content=answer.body, request=request
    )


def _complete(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on this thread, which runs no event loop: the fake's
    request path never waits on one there (``SERVED_IN_PLACE`` makes a scripted delay sleep
    the thread instead)."""
    token = SERVED_IN_PLACE.set(True)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    finally:
        SERVED_IN_PLACE.reset(token)
    coroutine.close()  # pragma: no cover - a safeguard: the request path never awaits here
    raise RuntimeError(  # pragma: no cover
        "the fake's request path waited for an event loop in a sync call"
    )


class AppleMusicRespx:
    """A respx router that answers every request to an Apple Music API host with ``app``
    (or, with ``forward_to``, with a fake running elsewhere).

    Use as a context manager; ``router`` is the active :class:`respx.MockRouter` and
    ``route`` the route of the Apple hosts::

        with AppleMusicRespx(create_app()) as mocked:
            httpx.post("https://api.music.apple.com/v1/me/library?ids[songs]=1", headers=...)
    """

    def __init__(self, app: MockApp | None = None, *, forward_to: str | None = None) -> None:
        if (app is None) == (forward_to is None):
            raise ValueError("give exactly one of app or forward_to")
        self.app = app
        self.forward_to = forward_to.rstrip("/") if forward_to else None
        self.router = _Router(assert_all_called=False, assert_all_mocked=True)
        hosts = "|".join(re.escape(host) for host in sorted(APPLE_HOSTS))
        self.route = self.router.add(_AppleRoute(self._side_effect, host__regex=f"^(?:{hosts})$"))
        self.router.route().side_effect = self._elsewhere
        self._portal: _Portal | None = None
        self._lock = threading.Lock()
        self._sync_forward: httpx.HTTPTransport | None = None
        self._async_forward: httpx.AsyncHTTPTransport | None = None

    def _elsewhere(self, request: httpx.Request) -> httpx.Request | None:
        """Another host: leave it to the routers set up after this one (a test's own
        ``respx_mock``); pass it through when there is none."""
        mocker = self.router.Mocker  # the patching mocker the router registered with
        routers = mocker.routers if mocker is not None else []
        later = routers[routers.index(self.router) + 1 :] if self.router in routers else []
        return None if later else request

    def _side_effect(self, request: httpx.Request) -> Any:
        if _ASYNC_CALLER.get():
            return self._answer(request)
        if asyncio._get_running_loop() is None:  # a plain sync caller: serve it right here
            if self.forward_to is not None:
                return self._forward_sync(request)
            return _complete(self._answer(request))
        with self._lock:  # a sync client inside async code: its loop must not be blocked on
            if self._portal is None:
                self._portal = _Portal()
            portal = self._portal
        return portal.call(self._answer(request))

    async def _answer(self, request: httpx.Request) -> httpx.Response:
        if self.forward_to is not None:
            return await self._forward_async(request)
        assert self.app is not None
        return await _asgi(self.app, request)

    def _forwarded(self, request: httpx.Request) -> httpx.Request:
        url = httpx.URL(f"{self.forward_to}{request.url.raw_path.decode('ascii')}")
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        return httpx.Request(request.method, url, headers=headers, content=request.content)

    def _forward_sync(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self._sync_forward is None:
                self._sync_forward = httpx.HTTPTransport()
            transport = self._sync_forward
        response = transport.handle_request(self._forwarded(request))
        content = response.read()
        response.close()
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def _forward_async(self, request: httpx.Request) -> httpx.Response:
        transport = httpx.AsyncHTTPTransport()  # per call: it belongs to the caller's loop
        async with transport:
            response = await transport.handle_async_request(self._forwarded(request))
            content = await response.aread()
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
        if self._sync_forward is not None:
            self._sync_forward.close()
            self._sync_forward = None
