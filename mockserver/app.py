"""``create_app``: the Starlette application and the request path of ``POST /v1/me/library``.

A request goes: target length (414) -> routing (404/405/400) -> scripted rules -> developer
token -> rate limit -> user token -> subscription -> query -> library -> 202. Every request
outside ``/_mock/`` is journaled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from .admin import admin_routes
from .auth import DeveloperToken, DeveloperTokenVerifier, Rejection, UserTokenPolicy
from .clock import Clock
from .config import Settings
from .controller import MockController
from .errors import AppleError, empty_response, errors_response
from .faults import FaultResponse, perform_fault
from .journal import JournalEntry, fingerprint, redact_headers
from .library import LIBRARY_KINDS
from .query import ParsedQuery, QueryParser, decode_query
from .rules import DEFAULT_ERRORS, Action, RateLimiter, RequestFacts
from .schemas import SchemaSet, load_schemas

__all__ = ["ENDPOINT", "MockApp", "create_app"]

ENDPOINT = "/v1/me/library"
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_READ_PARAMETERS = frozenset({"limit", "offset", "l"})


@dataclass
class Exchange:
    """One journaled request: what arrived and what the fake decided."""

    seq: int
    time: float
    scope: Scope
    status: int = 0
    code: str | None = None
    parameter: str | None = None
    detail: str | None = None
    reason: str | None = None
    rule: str | None = None
    query: ParsedQuery | None = None
    developer_token: DeveloperToken | None = None
    added: dict[str, list[str]] = field(default_factory=dict)
    ignored: list[dict[str, str]] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    fault: str | None = None

    def fail(self, error: AppleError, headers: dict[str, str] | None = None) -> Response:
        self.code, self.parameter, self.detail = error.code, error.parameter, error.detail
        return errors_response(error, headers=headers)

    def entry(self) -> JournalEntry:
        scope = self.scope
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        user = next((v for k, v in headers if k == "music-user-token"), None)
        if self.query is not None:
            ids = {t: list(v) for t, v in self.query.ids.items()}
        else:
            ids = {}
            for key, value in decode_query(scope["query_string"]):
                if key.startswith("ids[") and key.endswith("]"):
                    ids.setdefault(key[4:-1], []).extend(value.split(",") if value else [])
        return JournalEntry(
            seq=self.seq,
            time=self.time,
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode("latin-1"),
            headers=redact_headers(headers),
            ids=ids,
            status=self.status,
            code=self.code,
            parameter=self.parameter,
            detail=self.detail,
            reason=self.reason,
            rule=self.rule,
            user=fingerprint(user),
            added=self.added,
            ignored=self.ignored,
            dropped=self.dropped,
            fault=self.fault,
        )


class Pipeline:
    """The checks of one configuration, in the configured order."""

    def __init__(self, settings: Settings, mock: MockController, schemas: SchemaSet) -> None:
        self.settings = settings
        self.mock = mock
        self.developer_tokens = DeveloperTokenVerifier(settings, schemas, mock.clock)
        self.user_tokens = UserTokenPolicy(settings, schemas)
        self.queries = QueryParser(settings, schemas)
        checks: dict[str, Callable[[Exchange, Request], Response | None]] = {
            "developer_token": self.check_developer_token,
            "user_token": self.check_user_token,
            "subscription": self.check_subscription,
            "query": self.check_query,
        }
        self.checks = tuple(checks[name] for name in settings.check_order)
        self.read_checks = tuple(checks[n] for n in settings.check_order if n != "query")

    def unauthorized(self) -> Response:
        if self.settings.unauthorized_body == "errors":
            return errors_response(AppleError(401, "40100", "Invalid developer token"))
        return empty_response(401)

    def check_developer_token(self, exchange: Exchange, request: Request) -> Response | None:
        headers = request.headers
        result = self.developer_tokens.check(headers.get("authorization"), headers.get("origin"))
        if isinstance(result, Rejection):
            exchange.reason = f"{result.reason}: {result.detail}"
            return self.unauthorized()
        exchange.developer_token = result
        limiter = self.mock.rate_limiter
        if limiter is not None and not limiter.allow(result.team_id, self.mock.clock.now()):
            exchange.rule = RateLimiter.RULE_ID
            retry_after = limiter.limit.retry_after
            headers_out = {"retry-after": str(retry_after)} if retry_after is not None else None
            return exchange.fail(DEFAULT_ERRORS[429], headers_out)
        return None

    def check_user_token(self, exchange: Exchange, request: Request) -> Response | None:
        outcome = self.user_tokens.check(request.headers.get("music-user-token"))
        if outcome is None:
            return None
        if isinstance(outcome, AppleError):
            exchange.reason = "user token missing or rejected"
            return exchange.fail(outcome)
        exchange.reason = "user token missing"
        return self.unauthorized()

    def check_subscription(self, exchange: Exchange, request: Request) -> Response | None:
        error = self.user_tokens.check_subscription(request.headers.get("music-user-token"))
        return None if error is None else exchange.fail(error)

    def check_query(self, exchange: Exchange, request: Request) -> Response | None:
        result = self.queries.parse(request.scope["query_string"])
        if isinstance(result, AppleError):
            return exchange.fail(result)
        exchange.query = result
        return None

    def scripted(self, exchange: Exchange, action: Action) -> Response:
        """The answer of a rule's action (faults aside)."""
        status = action.status or 500
        headers = dict(action.headers or {})
        if action.has_body:
            body = action.body
            content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers.setdefault("content-type", "application/json; charset=utf-8")
            return Response(content, status_code=status, headers=headers)
        if status == 202:
            return empty_response(
                202, content_type=self.settings.success_content_type, headers=headers
            )
        if status == 401:
            response = self.unauthorized()
            response.headers.update(headers)
            return response
        return exchange.fail(DEFAULT_ERRORS[status], headers)


class MockApp(Starlette):
    """The Starlette app of the fake; ``app.state.mock`` is its :class:`MockController`."""

    mock: MockController
    pipeline: Pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_mock/") or path == "/openapi.json":
            await super().__call__(scope, receive, send)
            return
        mock = self.mock
        exchange = Exchange(mock.journal.next_seq(), mock.clock.now(), scope)
        scope["mock.exchange"] = exchange
        recorded = False

        def record() -> None:
            # Journaled before the first byte leaves (a body-less answer is complete with its
            # headers), so a client that has its answer can already see the entry.
            nonlocal recorded
            if not recorded:
                recorded = True
                mock.journal.append(exchange.entry())

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                record()
            await send(message)

        try:
            raw_path = scope.get("raw_path") or path.encode()
            query = scope["query_string"]
            length = len(raw_path) + (len(query) + 1 if query else 0)
            limit = self.pipeline.settings.max_target_length
            if length > limit:
                detail = f"Request target is {length} bytes; the limit is {limit}"
                await exchange.fail(AppleError(414, "41400", detail))(scope, receive, capture)
            else:
                await super().__call__(scope, receive, capture)
            if exchange.fault is not None:
                record()
                await perform_fault(exchange.fault, send)
        finally:
            record()


def _facts(request: Request, pipeline: Pipeline) -> RequestFacts:
    types: set[str] = set()
    ids: set[str] = set()
    for key, value in decode_query(request.scope["query_string"]):
        if key.startswith("ids[") and key.endswith("]"):
            types.add(key[4:-1])
            ids.update(value.split(","))
    headers = request.headers
    team_id, key_id = pipeline.developer_tokens.peek(headers.get("authorization"))
    return RequestFacts(
        method=request.method,
        path=request.url.path,
        headers=headers,
        types=frozenset(types),
        ids=frozenset(ids),
        user_token=headers.get("music-user-token"),
        team_id=team_id,
        key_id=key_id,
    )


async def _apply_rules(app: MockApp, request: Request, exchange: Exchange) -> Response | None:
    """A scripted answer when a rule applies; None to carry on normally (after any delay)."""
    rules = app.mock.rules
    if not len(rules):
        return None
    decision = rules.decide(_facts(request, app.pipeline))
    if decision is None:
        return None
    action = decision.action
    exchange.rule = decision.rule.id
    delay = action.delay_seconds(rules.seed, decision.rule.id, decision.application)
    if delay:
        await anyio.sleep(delay)
    if action.fault is not None:
        return FaultResponse(action, app.pipeline, exchange)
    if action.is_normal:
        return None
    return app.pipeline.scripted(exchange, action)


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, **overrides: Any
) -> MockApp:
    """Build the fake.

    Args:
        settings: the configuration; ``Settings()`` (the contract's defaults) when omitted.
        clock: what "now" is for tokens, rate limits and visibility; a controllable
            :class:`~mockserver.MockClock` following real time when omitted.
        overrides: settings fields to change, e.g. ``create_app(repeated_keys="reject")``.

    The returned app's ``state.mock`` (also ``app.mock``) is the :class:`MockController` to
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
        scripted = await _apply_rules(app, request, exchange)
        if scripted is not None:
            return scripted
        pipeline = app.pipeline
        for check in pipeline.checks:
            response = check(exchange, request)
            if response is not None:
                return response
        parsed = exchange.query
        assert parsed is not None  # the query check always runs
        user = request.headers["music-user-token"]
        result = mock.library.add(user, parsed.addable, mock.clock.now())
        exchange.added = result.added
        exchange.dropped = result.dropped
        exchange.ignored = [
            {"type": i.type, "id": i.id, "reason": i.reason}
            for i in (*parsed.ignored, *result.ignored)
        ]
        return empty_response(202, content_type=pipeline.settings.success_content_type)

    async def read_library(request: Request) -> Response:
        exchange: Exchange = request.scope["mock.exchange"]
        type_ = request.path_params["type"]
        if type_ not in LIBRARY_KINDS:
            return exchange.fail(AppleError(404, "40400", f"No resource at '{request.url.path}'"))
        scripted = await _apply_rules(app, request, exchange)
        if scripted is not None:
            return scripted
        pipeline = app.pipeline
        for check in pipeline.read_checks:
            response = check(exchange, request)
            if response is not None:
                return response
        return _read_page(request, exchange, pipeline, type_)

    async def trailing_slash(request: Request) -> Response:
        detail = f"Path '{request.url.path}' is not valid: remove the trailing slash"
        return request.scope["mock.exchange"].fail(AppleError(400, "40000", detail))  # type: ignore[no-any-return]

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
                return empty_response(405, headers=headers)
            error = AppleError(
                405, "40500", f"Method {request.method} is not allowed on '{request.url.path}'"
            )
        elif exc.status_code == 404:
            error = AppleError(404, "40400", f"No resource at '{request.url.path}'")
        else:
            error = AppleError(exc.status_code, f"{exc.status_code}00", exc.detail)
        if exchange is not None:
            return exchange.fail(error, headers)
        return errors_response(error, headers=headers)

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


def _read_page(request: Request, exchange: Exchange, pipeline: Pipeline, type_: str) -> Response:
    limit, offset = 25, 0
    tolerated = set(pipeline.settings.tolerated_parameters)
    for key, value in decode_query(request.scope["query_string"]):
        if key not in _READ_PARAMETERS and key not in tolerated:
            return exchange.fail(
                AppleError(400, "40004", f"Parameter '{key}' is not allowed", key)
            )
        if key == "limit":
            if not value.isdigit() or not 1 <= int(value) <= 100:
                detail = f"Value '{value[:20]}' for 'limit' must be an integer from 1 to 100"
                return exchange.fail(AppleError(400, "40005", detail, "limit"))
            limit = int(value)
        elif key == "offset":
            if not value.isdigit():
                detail = f"Value '{value[:20]}' for 'offset' must be a non-negative integer"
                return exchange.fail(AppleError(400, "40005", detail, "offset"))
            offset = int(value)
    mock = pipeline.mock
    user = request.headers["music-user-token"]
    items = mock.library.items(user, type_, now=mock.clock.now())
    page = items[offset : offset + limit]
    body: dict[str, Any] = {
        "data": [item.to_resource() for item in page],
        "meta": {"total": len(items)},
    }
    if offset + limit < len(items):
        body["next"] = f"{ENDPOINT}/{type_}?offset={offset + limit}"
        if limit != 25:
            body["next"] += f"&limit={limit}"
    return JSONResponse(body, headers={"content-type": "application/json; charset=utf-8"})
