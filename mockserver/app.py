"""``create_app``: the Starlette application and the request path of ``POST /v1/me/library``.

A request goes: target length (414) -> routing (404/405/400) -> scripted rules -> developer
token -> rate limit -> user token -> subscription -> query -> library -> 202. Every request
outside ``/_mock/`` is journaled. While no rule is installed, ``POST /v1/me/library`` takes a
fast lane that skips Starlette's routing and Request/Response objects but runs the very same
checks (``Pipeline``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from .admin import admin_routes
from .clock import Clock
from .config import Settings
from .controller import MockController
from .errors import AppleError, empty_reply, error_reply
from .faults import FaultResponse, perform_fault
from .library import LIBRARY_KINDS
from .pipeline import ENDPOINT, Exchange, Headers, Pipeline, read_headers
from .query import decode_query
from .rules import RequestFacts
from .schemas import load_schemas

__all__ = ["ENDPOINT", "MockApp", "create_app"]

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class MockApp(Starlette):
    """The Starlette app of the fake; ``app.mock`` (also ``app.state.mock``) is its
    :class:`MockController`."""

    mock: MockController
    pipeline: Pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_mock/") or path == "/openapi.json":
            await super().__call__(scope, receive, send)
            return
        mock, pipeline = self.mock, self.pipeline
        raw_headers = scope["headers"]
        query = scope["query_string"]
        exchange = Exchange(
            mock.journal.next_seq(), mock.clock.now(), scope["method"], path, query, raw_headers
        )
        raw_path = scope.get("raw_path") or path.encode()
        length = len(raw_path) + (len(query) + 1 if query else 0)
        if length > pipeline.max_target_length:
            detail = f"Request target is {length} bytes; the limit is {pipeline.max_target_length}"
            reply = exchange.fail(AppleError(414, "41400", detail))
            exchange.status = reply.status
            mock.journal.append(exchange.record())
            await reply.send(send)
            return
        if path == ENDPOINT and exchange.method == "POST" and not len(mock.rules):
            headers = read_headers(raw_headers)
            exchange.user = headers.get("music-user-token")
            reply = pipeline.add(exchange, headers)
            exchange.status = reply.status
            mock.journal.append(
                exchange.record()
            )  # before the answer leaves: a client that has it sees it
            await reply.send(send)
            return
        await self._routed(scope, receive, send, exchange)

    async def _routed(
        self, scope: Scope, receive: Receive, send: Send, exchange: Exchange
    ) -> None:
        scope["mock.exchange"] = exchange
        journal = self.mock.journal
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                journal.append(exchange.record())

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                record()  # before the first byte leaves
            await send(message)

        try:
            await super().__call__(scope, receive, capture)
            if exchange.fault is not None:
                record()
                await perform_fault(exchange.fault, send)
        finally:
            record()


def _facts(request: Request, pipeline: Pipeline, headers: Headers) -> RequestFacts:
    types: set[str] = set()
    ids: set[str] = set()
    for key, value in decode_query(request.scope["query_string"]):
        if key.startswith("ids[") and key.endswith("]"):
            types.add(key[4:-1])
            ids.update(value.split(","))
    team_id, key_id = pipeline.developer_tokens.peek(headers.get("authorization"))
    return RequestFacts(
        method=request.method,
        path=request.url.path,
        headers=request.headers,
        types=frozenset(types),
        ids=frozenset(ids),
        user_token=headers.get("music-user-token"),
        team_id=team_id,
        key_id=key_id,
    )


async def _apply_rules(
    app: MockApp, request: Request, exchange: Exchange, headers: Headers
) -> Response | None:
    """A scripted answer when a rule applies; None to carry on normally (after any delay)."""
    rules = app.mock.rules
    if not len(rules):
        return None
    decision = rules.decide(_facts(request, app.pipeline, headers))
    if decision is None:
        return None
    action = decision.action
    exchange.rule = decision.rule.id
    delay = action.delay_seconds(rules.seed, decision.rule.id, decision.application)
    if delay:
        await anyio.sleep(delay)
    if action.fault is not None:
        return FaultResponse(action, exchange)
    if action.is_normal:
        return None
    return app.pipeline.scripted(exchange, action).response()


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
    schemas = load_schemas()
    mock = MockController(settings, clock=clock)
    openapi = json.dumps(schemas.bundled_openapi()).encode()

    async def add_to_library(request: Request) -> Response:
        exchange: Exchange = request.scope["mock.exchange"]
        headers = read_headers(request.scope["headers"])
        exchange.user = headers.get("music-user-token")
        scripted = await _apply_rules(app, request, exchange, headers)
        if scripted is not None:
            return scripted
        return app.pipeline.add(exchange, headers).response()

    async def read_library(request: Request) -> Response:
        exchange: Exchange = request.scope["mock.exchange"]
        headers = read_headers(request.scope["headers"])
        exchange.user = headers.get("music-user-token")
        type_ = request.path_params["type"]
        if type_ not in LIBRARY_KINDS:
            return exchange.fail(
                AppleError(404, "40400", f"No resource at '{request.url.path}'")
            ).response()
        scripted = await _apply_rules(app, request, exchange, headers)
        if scripted is not None:
            return scripted
        return app.pipeline.read(exchange, headers, type_).response()

    async def trailing_slash(request: Request) -> Response:
        exchange: Exchange = request.scope["mock.exchange"]
        detail = f"Path '{request.url.path}' is not valid: remove the trailing slash"
        return exchange.fail(AppleError(400, "40000", detail)).response()

    async def openapi_document(request: Request) -> Response:
        return Response(openapi, media_type="application/json")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        exchange: Exchange | None = request.scope.get("mock.exchange")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            if (
                request.url.path == ENDPOINT
                and app.pipeline.settings.method_not_allowed_body == "empty"
            ):
                return empty_reply(405, headers=headers).response()
            error = AppleError(
                405, "40500", f"Method {request.method} is not allowed on '{request.url.path}'"
            )
        elif exc.status_code == 404:
            error = AppleError(404, "40400", f"No resource at '{request.url.path}'")
        else:
            error = AppleError(exc.status_code, f"{exc.status_code}00", exc.detail)
        if exchange is not None:
            return exchange.fail(error, headers).response()
        return error_reply(error, headers=headers).response()

    app = MockApp(
        routes=[
            Route(ENDPOINT, add_to_library, methods=["POST"]),
            Route(ENDPOINT + "/", trailing_slash, methods=_ALL_METHODS),
            Route(ENDPOINT + "/{type}", read_library, methods=["GET"]),
            Route("/openapi.json", openapi_document, methods=["GET"]),
            Mount("/_mock", routes=admin_routes(mock)),
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.router.redirect_slashes = False
    app.mock = mock
    app.state.mock = mock
    app.pipeline = Pipeline(settings, mock, schemas)

    def rebuild(new: Settings) -> Callable[[], None]:
        pipeline = Pipeline(new, mock, schemas)  # raises ConfigError before anything changes

        def commit() -> None:
            app.pipeline = pipeline

        return commit

    mock.on_configure(rebuild)
    return app
