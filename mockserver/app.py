"""``create_app``: the Starlette application and the request path of ``POST /v1/me/library``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import DeveloperToken, DeveloperTokenVerifier, Rejection, UserTokenPolicy
from .clock import Clock, SystemClock
from .config import Settings
from .errors import AppleError, empty_response, errors_response
from .query import ParsedQuery, QueryParser
from .schemas import SchemaSet, load_schemas

__all__ = ["ENDPOINT", "LibraryEndpoint", "create_app"]

ENDPOINT = "/v1/me/library"
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass
class _Exchange:
    """What the checks learn about one request."""

    request: Request
    developer_token: DeveloperToken | None = None
    rejection: Rejection | None = None
    query: ParsedQuery | None = None
    notes: dict[str, Any] = field(default_factory=dict)


class LibraryEndpoint:
    """The endpoint: the contract's checks in the configured order, then 202."""

    def __init__(self, settings: Settings, *, clock: Clock, schemas: SchemaSet) -> None:
        self.settings = settings
        self.clock = clock
        self.developer_tokens = DeveloperTokenVerifier(settings, schemas, clock)
        self.user_tokens = UserTokenPolicy(settings, schemas)
        self.queries = QueryParser(settings, schemas)
        checks: dict[str, Callable[[_Exchange], Response | None]] = {
            "developer_token": self._check_developer_token,
            "user_token": self._check_user_token,
            "subscription": self._check_subscription,
            "query": self._check_query,
        }
        self.checks = tuple(checks[name] for name in settings.check_order)
        self.success_content_type = settings.success_content_type

    async def handle(self, request: Request) -> Response:
        exchange = _Exchange(request)
        for check in self.checks:
            response = check(exchange)
            if response is not None:
                return response
        return empty_response(202, content_type=self.success_content_type)

    def unauthorized(self) -> Response:
        if self.settings.unauthorized_body == "errors":
            return errors_response(AppleError(401, "40100", "Invalid developer token"))
        return empty_response(401)

    def _check_developer_token(self, exchange: _Exchange) -> Response | None:
        headers = exchange.request.headers
        result = self.developer_tokens.check(headers.get("authorization"), headers.get("origin"))
        if isinstance(result, Rejection):
            exchange.rejection = result
            return self.unauthorized()
        exchange.developer_token = result
        return None

    def _check_user_token(self, exchange: _Exchange) -> Response | None:
        outcome = self.user_tokens.check(exchange.request.headers.get("music-user-token"))
        if outcome is None:
            return None
        if isinstance(outcome, AppleError):
            return errors_response(outcome)
        return self.unauthorized()

    def _check_subscription(self, exchange: _Exchange) -> Response | None:
        token = exchange.request.headers.get("music-user-token")
        error = self.user_tokens.check_subscription(token)
        return None if error is None else errors_response(error)

    def _check_query(self, exchange: _Exchange) -> Response | None:
        result = self.queries.parse(exchange.request.scope["query_string"])
        if isinstance(result, AppleError):
            return errors_response(result)
        exchange.query = result
        return None


class _TargetLengthLimit:
    """Answers 414 before routing when the request target is longer than the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or scope["path"].encode()
            length = len(path) + (len(scope["query_string"]) + 1 if scope["query_string"] else 0)
            if length > self.limit:
                detail = f"Request target is {length} bytes; the limit is {self.limit}"
                response = errors_response(AppleError(414, "41400", detail))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, **overrides: Any
) -> Starlette:
    """Build the fake.

    Args:
        settings: the configuration; ``Settings()`` (the contract's defaults) when omitted.
        clock: what "now" is for token expiry; the system clock when omitted.
        overrides: settings fields to change, e.g. ``create_app(repeated_keys="reject")``.

    Example::

        app = create_app(unauthorized_body="errors")
        # serve with uvicorn, or call in-process through httpx.ASGITransport
    """
    settings = (
        (settings or Settings()).replace(**overrides) if overrides else settings or Settings()
    )
    schemas = load_schemas()
    endpoint = LibraryEndpoint(settings, clock=clock or SystemClock(), schemas=schemas)
    openapi = json.dumps(schemas.bundled_openapi()).encode()

    async def trailing_slash(request: Request) -> Response:
        detail = f"Path '{request.url.path}' is not valid: remove the trailing slash"
        return errors_response(AppleError(400, "40000", detail))

    async def openapi_document(request: Request) -> Response:
        return Response(openapi, media_type="application/json")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            if request.url.path == ENDPOINT and settings.method_not_allowed_body == "empty":
                return empty_response(405, headers=headers)
            detail = f"Method {request.method} is not allowed on '{request.url.path}'"
            return errors_response(AppleError(405, "40500", detail), headers=headers)
        if exc.status_code == 404:
            detail = f"No resource at '{request.url.path}'"
            return errors_response(AppleError(404, "40400", detail), headers=headers)
        code = f"{exc.status_code}00"
        return errors_response(AppleError(exc.status_code, code, exc.detail), headers=headers)

    app = Starlette(
        routes=[
            Route(ENDPOINT, endpoint.handle, methods=["POST"]),
            Route(ENDPOINT + "/", trailing_slash, methods=_ALL_METHODS),
            Route("/_mock/health", health, methods=["GET"]),
            Route("/openapi.json", openapi_document, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.endpoint = endpoint
    app.add_middleware(_TargetLengthLimit, limit=settings.max_target_length)
    return app
