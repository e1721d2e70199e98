"""``create_app``: the Starlette application and the request path of ``POST /v1/me/library``.

A request goes: target length (414) -> routing (404/405/400) -> scripted rules -> developer
token -> rate limit -> user token -> subscription -> query -> library -> 202. Every request
outside ``/_mock/`` is journaled. While no rule is installed, ``POST /v1/me/library`` takes a
fast lane that skips Starlette's routing and Request/Response objects but runs the very same
checks (``Pipeline``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from .admin import admin_routes
from .auth import DeveloperTokenVerifier, Rejection, UserTokenPolicy
from .clock import Clock
from .config import Settings
from .controller import MockController
from .errors import AppleError, Reply, empty_reply, error_reply
from .faults import FaultResponse, perform_fault
from .journal import SEPARATOR, flatten, pack_headers
from .library import LIBRARY_KINDS
from .query import IgnoredId, ParsedQuery, QueryParser, decode_query
from .rules import DEFAULT_ERRORS, Action, RateLimiter, RequestFacts
from .schemas import SchemaSet, load_schemas

__all__ = ["ENDPOINT", "Exchange", "MockApp", "Pipeline", "create_app"]

ENDPOINT = "/v1/me/library"
_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_READ_PARAMETERS = frozenset({"limit", "offset", "l"})
_WANTED = {
    b"authorization": "authorization",
    b"music-user-token": "music-user-token",
    b"origin": "origin",
}
_JSON_UTF8 = "application/json; charset=utf-8"

Headers = dict[str, str]


def read_headers(raw: list[tuple[bytes, bytes]]) -> Headers:
    """The headers the checks read, by lower-case name (the first of repeated ones)."""
    found: Headers = {}
    for name, value in raw:
        key = _WANTED.get(name)
        if key is not None and key not in found:
            found[key] = value.decode("latin-1")
    return found


@dataclass(slots=True, eq=False)
class Exchange:
    """One request and what the fake decided: the journal's record (made into a redacted
    :class:`JournalEntry` only when read)."""

    seq: int
    time: float
    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    user: str | None = None
    status: int = 0
    code: str | None = None
    parameter: str | None = None
    detail: str | None = None
    reason: str | None = None
    rule: str | None = None
    parsed: ParsedQuery | None = None
    added: Mapping[str, Sequence[str]] | None = None
    ignored: tuple[IgnoredId, ...] = ()
    dropped: Mapping[str, Sequence[str]] | None = None
    fault: str | None = None

    def fail(self, error: AppleError, headers: dict[str, str] | None = None) -> Reply:
        self.code, self.parameter, self.detail = error.code, error.parameter, error.detail
        return error_reply(error, headers=headers)

    def record(self) -> tuple[Any, ...]:
        """The journal's copy: tokens redacted, and nothing but atoms and flat tuples of
        strings, which the garbage collector stops tracking at its first look (a full
        journal then costs no collection time). Fields as :class:`JournalRecord`'s; the ids
        are re-read from the raw query when the entry is made; ``added`` is None when every
        id was added."""
        parsed = self.parsed
        everything = parsed is not None and self.added is parsed.ids
        return (
            self.seq,
            self.time,
            self.method,
            self.path,
            self.query,
            pack_headers(self.headers),
            self.user,
            self.status,
            self.code,
            self.parameter,
            self.detail,
            self.reason,
            self.rule,
            None if everything else flatten(self.added),
            tuple(SEPARATOR.join(item) for item in self.ignored) if self.ignored else (),
            flatten(self.dropped),
            self.fault,
        )


class Pipeline:
    """The checks of one configuration, in the configured order, and the answers."""

    def __init__(self, settings: Settings, mock: MockController, schemas: SchemaSet) -> None:
        self.settings = settings
        self.mock = mock
        self.developer_tokens = DeveloperTokenVerifier(settings, schemas, mock.clock)
        self.user_tokens = UserTokenPolicy(settings, schemas)
        self.queries = QueryParser(settings, schemas)
        checks: dict[str, Callable[[Exchange, Headers], Reply | None]] = {
            "developer_token": self.check_developer_token,
            "user_token": self.check_user_token,
            "subscription": self.check_subscription,
            "query": self.check_query,
        }
        self.checks = tuple(checks[name] for name in settings.check_order)
        self.read_checks = tuple(checks[n] for n in settings.check_order if n != "query")
        self.accepted = empty_reply(202, content_type=settings.success_content_type)
        self.max_target_length = settings.max_target_length

    # --- the endpoints ---------------------------------------------------------------------

    def add(self, exchange: Exchange, headers: Headers) -> Reply:
        """``POST /v1/me/library`` after the rules: the checks, then the library."""
        for check in self.checks:
            reply = check(exchange, headers)
            if reply is not None:
                return reply
        parsed = exchange.parsed
        assert parsed is not None  # the query check always runs
        result = self.mock.library.add(headers["music-user-token"], parsed.addable, exchange.time)
        exchange.added = result.added
        exchange.dropped = result.dropped or None
        exchange.ignored = parsed.ignored + result.ignored if result.ignored else parsed.ignored
        return self.accepted

    def read(self, exchange: Exchange, headers: Headers, type_: str) -> Reply:
        """``GET /v1/me/library/{type}``: the checks but the query's, then a page."""
        for check in self.read_checks:
            reply = check(exchange, headers)
            if reply is not None:
                return reply
        limit, offset = 25, 0
        tolerated = set(self.settings.tolerated_parameters)
        for key, value in decode_query(exchange.query):
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
        mock = self.mock
        items = mock.library.items(headers["music-user-token"], type_, now=mock.clock.now())
        body: dict[str, Any] = {
            "data": [item.to_resource() for item in items[offset : offset + limit]],
            "meta": {"total": len(items)},
        }
        if offset + limit < len(items):
            body["next"] = f"{ENDPOINT}/{type_}?offset={offset + limit}"
            if limit != 25:
                body["next"] += f"&limit={limit}"
        content = json.dumps(body, separators=(",", ":")).encode()
        return Reply(
            200,
            [
                (b"content-type", _JSON_UTF8.encode()),
                (b"content-length", str(len(content)).encode()),
            ],
            content,
        )

    # --- the checks ------------------------------------------------------------------------

    def unauthorized(self) -> Reply:
        if self.settings.unauthorized_body == "errors":
            return error_reply(AppleError(401, "40100", "Invalid developer token"))
        return empty_reply(401)

    def check_developer_token(self, exchange: Exchange, headers: Headers) -> Reply | None:
        result = self.developer_tokens.check(
            headers.get("authorization"), headers.get("origin"), exchange.time
        )
        if isinstance(result, Rejection):
            exchange.reason = f"{result.reason}: {result.detail}"
            return self.unauthorized()
        limiter = self.mock.rate_limiter
        if limiter is not None and not limiter.allow(result.team_id, exchange.time):
            exchange.rule = RateLimiter.RULE_ID
            retry_after = limiter.limit.retry_after
            extra = {"retry-after": str(retry_after)} if retry_after is not None else None
            return exchange.fail(DEFAULT_ERRORS[429], extra)
        return None

    def check_user_token(self, exchange: Exchange, headers: Headers) -> Reply | None:
        outcome = self.user_tokens.check(headers.get("music-user-token"))
        if outcome is None:
            return None
        if isinstance(outcome, AppleError):
            exchange.reason = "user token missing or rejected"
            return exchange.fail(outcome)
        exchange.reason = "user token missing"
        return self.unauthorized()

    def check_subscription(self, exchange: Exchange, headers: Headers) -> Reply | None:
        error = self.user_tokens.check_subscription(headers.get("music-user-token"))
        return None if error is None else exchange.fail(error)

    def check_query(self, exchange: Exchange, headers: Headers) -> Reply | None:
        result = self.queries.parse(exchange.query)
        if isinstance(result, AppleError):
            return exchange.fail(result)
        exchange.parsed = result
        return None

    def scripted(self, exchange: Exchange, action: Action) -> Reply:
        """The answer of a rule's action (faults aside)."""
        status = action.status or 500
        headers = dict(action.headers or {})
        if action.has_body:
            body = action.body
            content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers.setdefault("content-type", _JSON_UTF8)
            raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
            return Reply(status, [*raw, (b"content-length", str(len(content)).encode())], content)
        if status == 202:
            return empty_reply(
                202, content_type=self.settings.success_content_type, headers=headers
            )
        if status == 401:
            reply = self.unauthorized()
            extra = [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
            ]
            return Reply(401, [*reply.headers, *extra], reply.body)
        return exchange.fail(DEFAULT_ERRORS[status], headers)


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
