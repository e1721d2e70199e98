"""``create_app``: the ASGI application. Requests under Apple's paths go to the controller's
request path (:mod:`mockserver.pipeline`); Starlette serves the admin API and the OpenAPI
document."""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.types import Message, Receive, Scope, Send

from .admin import ADMIN_ROUTES, error_response
from .clock import Clock
from .config import Settings
from .controller import MockController
from .errors import AppleError
from .redaction import redact_target
from .schemas import load_schemas

__all__ = ["MockApp", "create_app"]


access = logging.getLogger("apple_music_mock.access")


class MockApp(Starlette):
    """The fake as an ASGI app; ``app.mock`` (also ``app.state.mock``) is its
    :class:`MockController`."""

    mock: MockController

    @functools.cached_property
    def openapi(self) -> bytes:
        """The OpenAPI document served at ``/openapi.json`` (built on first use: a first
        fixture use does not pay for it)."""
        return _openapi_document()

    access_log = False
    """Log every request at INFO on ``apple_music_mock.access``, credentials redacted."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.access_log:
                await self._logged(scope, receive, send)
                return
            if _is_apple(scope["path"]):  # (as _serve, one coroutine less on the hot path)
                await self.mock.pipeline(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def _logged(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 0

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._serve(scope, receive, observed)
        finally:
            client = scope.get("client")
            access.info(
                '%s - "%s %s HTTP/%s" %s',
                f"{client[0]}:{client[1]}" if client else "-",
                scope["method"],
                redact_target(scope["path"], scope["query_string"]),
                scope.get("http_version", "1.1"),
                status or "-",
            )

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _is_apple(scope["path"]):
            await self.mock.pipeline(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _is_apple(path: str) -> bool:
    """Whether ``path`` is served by the request path (not the admin API or OpenAPI)."""
    return not path.startswith("/_mock/") and path != "/openapi.json"


@functools.cache
def _openapi_document() -> bytes:
    return json.dumps(load_schemas().bundled_openapi()).encode()


async def _openapi(request: Request) -> Response:
    return Response(request.app.openapi, media_type="application/json")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        detail = f"Method {request.method} is not allowed on '{request.url.path}'"
        return error_response(AppleError(405, "40500", detail), headers)
    if exc.status_code == 404:
        return error_response(AppleError(404, "40400", f"No resource at '{request.url.path}'"))
    return error_response(AppleError(exc.status_code, f"{exc.status_code}00", exc.detail), headers)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, **overrides: Any
) -> MockApp:
    """Build the fake.

    Args:
        settings: the configuration; ``Settings()`` (the contract's defaults) when omitted.
        clock: what "now" is for tokens, rate limits and visibility; a controllable
            :class:`~mockserver.MockClock` following real time when omitted.
        overrides: settings fields to change, e.g. ``create_app(repeated_keys="reject")``.

    The returned app's ``mock`` (also ``state.mock``) is the :class:`MockController` to
    script and inspect it. Example::

        app = create_app(unauthorized_body="errors")
        app.mock.add_rule(sequence=[{"status": 500}, {"status": 500}])
    """
    base = settings or Settings()
    settings = base.replace(**overrides) if overrides else base
    app = MockApp(
        routes=[
            Route("/openapi.json", _openapi, methods=["GET"]),
            Mount("/_mock", app=Router(ADMIN_ROUTES, redirect_slashes=False)),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.router.redirect_slashes = False
    app.mock = app.state.mock = MockController(settings, clock=clock)
    return app
