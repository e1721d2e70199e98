"""The one request path of everything the fake serves under Apple's hosts.

A request goes: target length (414) -> scripted rules -> routing (404, 405, 400) -> the
checks in the configured order (developer token and rate limit, user token, subscription,
the endpoint's query) -> the endpoint's answer. Every request is journaled exactly once,
before its answer leaves (a client that has the answer finds it in the journal), and in a
``finally`` whatever happens: a failure inside the fake is answered and journaled as a 500
naming it, a client that left during a scripted delay as 499.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from starlette.types import Receive, Scope, Send

from .auth import DeveloperTokenVerifier, Rejection, UserTokenPolicy, UserTokenSource
from .clock import Clock
from .config import Settings
from .cors import CorsPolicy
from .endpoints import LIBRARY_ENDPOINTS, endpoint_parsers
from .errors import AppleError, default_error
from .faults import TransportFault, client_stays, fault_reply, perform_fault, scripted_reply
from .journal import Exchange, Journal
from .library import LibraryStore
from .policy import CatalogPolicy
from .query import QueryParser
from .ratelimit import RATE_LIMIT_RULE, RateLimiter
from .routing import Endpoint, Router
from .rulebook import Applied, RuleBook
from .rules import RequestFacts
from .schemas import SchemaSet
from .wire import (
    Headers,
    Query,
    Reply,
    empty_reply,
    error_reply,
    read_body,
    read_headers,
)

__all__ = ["CLIENT_GONE", "Call", "Pipeline"]

log = logging.getLogger("apple_music_mock")

#: The journal's status for a request whose client left before it was answered (nginx's
#: "client closed request"; nothing was sent).
CLIENT_GONE = 499

_ROUTER = Router(LIBRARY_ENDPOINTS)
#: The paths whose POSTs carry a JSON body (the add's does not: its hot path reads none).
_BODY_PATHS = "/v1/me/library/playlists"
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})
_NO_NAMESPACES: Mapping[str, Pipeline] = MappingProxyType({})


class Call:
    """One request on its way through the checks: what they read and what they found."""

    __slots__ = (
        "body",
        "endpoint",
        "exchange",
        "headers",
        "params",
        "parsed",
        "query",
        "user_token",
    )
    body: bytes  # set only for the endpoints that read one, before the checks

    def __init__(self, exchange: Exchange, headers: Headers, query: Query) -> None:
        self.exchange = exchange
        self.headers = headers
        self.query = query
        self.user_token = headers.get("music-user-token")
        self.params: Mapping[str, str] = _NO_PARAMS
        self.parsed: Any = None
        self.endpoint: Endpoint | None = None

    def fail(self, error: AppleError, headers: dict[str, str] | None = None) -> Reply:
        """The errors answer of ``error``, noted in the journal's record."""
        exchange = self.exchange
        exchange.code, exchange.parameter, exchange.detail = (
            error.code,
            error.parameter,
            error.detail,
        )
        return error_reply(error, *error.more, headers=headers)


class Pipeline:
    """The checks and answers of one configuration over the controller's live state.

    Built by :class:`~mockserver.MockController`, which swaps in a new one when the
    settings change; ``await pipeline(scope, receive, send)`` serves one request.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        schemas: SchemaSet,
        clock: Clock,
        journal: Journal,
        library: LibraryStore,
        rules: RuleBook,
        limiter: RateLimiter | None,
        namespaces: Mapping[str, Pipeline] = _NO_NAMESPACES,
        delays: set[Any] | None = None,
    ) -> None:
        self.settings = settings
        self.namespaces = namespaces
        #: Scripted delays in progress (cancel scopes): ``MockController.end_delays``.
        self.delays = delays if delays is not None else set()
        self.clock = clock
        self.journal = journal
        self.sequence = journal.sequence
        self.library = library
        self.rules = rules
        self.limiter = limiter
        self.router = _ROUTER
        self.developer_tokens = DeveloperTokenVerifier(settings, schemas, clock)
        self.user_tokens = UserTokenPolicy(settings, schemas)
        self.queries = QueryParser(settings, schemas)
        vars(self).update(endpoint_parsers(schemas, settings))  # ``read_parameters``, …
        self.policy = CatalogPolicy.from_settings(settings)
        self.open_catalog = self.policy.open
        self.visibility_delay = settings.visibility_delay_seconds
        self.seed = settings.seed
        self.max_target_length = settings.max_target_length
        self.cors = CorsPolicy.from_settings(settings)
        self.accepted = empty_reply(202, content_type=settings.success_content_type)
        #: The usual answer with its CORS headers (when they do not depend on Origin).
        self.accepted_cors = self._with_cors(self.accepted, None) if self.cors.fixed else None
        self.user_token_source = UserTokenSource(settings.user_token_headers)
        checks: dict[str, Callable[[Call], Reply | None]] = {
            "developer_token": self.check_developer_token,
            "user_token": self.check_user_token,
            "subscription": self.check_subscription,
            "query": self.check_query,
        }
        self.checks = tuple(checks[name] for name in settings.check_order)
        #: Each endpoint's query parser, and the routes of static paths (``Router.find``'s
        #: first step: a dictionary lookup, here without a call)
        self.parsers = {e.parser: getattr(self, e.parser).parse for e in _ROUTER.endpoints}
        self.routes = _ROUTER.static_routes

    # --- the request path -------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query, method, path = scope["query_string"], scope["method"], scope["path"]
        exchange = Exchange(
            next(self.sequence), self.clock.now(), method, path, query, scope["headers"]
        )
        recorded = False
        try:
            raw_path = scope.get("raw_path") or path.encode()
            length = len(raw_path) + (len(query) + 1 if query else 0)
            headers = read_headers(exchange.headers)
            call = Call(exchange, headers, Query(query))
            # (the usual case inline: Music-User-Token present, and first on every host)
            user = call.user_token if self.user_token_source.music_first else None
            if user is not None:
                exchange.user, exchange.user_header = user, "music-user-token"
            else:
                user = self._user_token(call)
            # A namespace with settings of its own is served by its own pipeline.
            serving = self.namespaces.get(user, self) if self.namespaces and user else self
            rules = self.rules
            if length > serving.max_target_length and method != "OPTIONS":
                # (a preflight is answered whatever the URL: the browser must read the 414)
                kept = serving.max_target_length
                detail = f"Request target is {length} bytes; the limit is {kept}"
                reply = call.fail(AppleError(414, "41400", detail))
                exchange.query = query[:kept] + b"...[%d more bytes]" % (len(query) - kept)
            elif (
                method == "POST"
                and path.startswith(_BODY_PATHS)
                and (too_large := await serving._read_body(call, receive))
            ):
                reply = too_large
            elif (
                rules.index  # (empty without rules: nothing decoded, nothing looked up)
                and (found := rules.candidates(method, path, call.user_token, call.query))
                and (decision := rules.apply(found, serving._facts(call), serving.seed))
            ):
                scripted = await serving._scripted(call, decision, receive, send)
                if scripted is None:  # a fault broke the connection, or the client left
                    return
                reply = scripted
            else:
                reply = serving.decide(call, method)
            if reply is serving.accepted and serving.accepted_cors is not None:
                reply = serving.accepted_cors
            else:
                reply = serving._with_cors(reply, headers.get("origin"))
            exchange.status = status = reply.status
            self.journal.append(exchange)
            recorded = True
            if status >= 400 and log.isEnabledFor(logging.INFO):
                _log_refusal(exchange)
            await send({"type": "http.response.start", "status": status, "headers": reply.headers})
            await send({"type": "http.response.body", "body": reply.body})
        except TransportFault:
            raise  # the in-process form of a scripted fault: journaled below
        except Exception as error:
            if recorded:  # the answer was journaled; the client went away while it was sent
                log.debug("answer to request #%d not delivered: %r", exchange.seq, error)
                return
            log.error("request #%d failed inside the fake", exchange.seq, exc_info=error)
            failure = AppleError(
                500, "50000", f"apple-music-mock failed: {type(error).__name__}: {error}"
            )
            reply = self._with_cors(Call(exchange, {}, Query(b"")).fail(failure), None)
            exchange.status, exchange.reason = 500, "internal error"
            self.journal.append(exchange)
            recorded = True
            try:
                await reply.send(send)
            except Exception:
                log.debug("could not send the 500 for request #%d", exchange.seq)
        finally:
            if not recorded:
                self.journal.append(exchange)

    async def _read_body(self, call: Call, receive: Receive) -> Reply | None:
        """Read the body into ``call.body``; the 413 when it is over ``max_body_bytes``."""
        limit = self.settings.max_body_bytes
        body = await read_body(receive, limit)
        call.body = body or b""
        if body is None:
            detail = f"Request body is over max_body_bytes={limit}"
            return call.fail(AppleError(413, "41300", detail))
        return None

    def _user_token(self, call: Call) -> str | None:
        """The user token and the header that carried it, noted in the call and exchange."""
        found = self.user_token_source.find(call.headers)
        if found is None:
            call.user_token = None
            return None
        value, header = found
        exchange = call.exchange
        exchange.user, exchange.user_header, call.user_token = value, header, value
        return value

    def _with_cors(self, reply: Reply, origin: str | None) -> Reply:
        cors = self.cors
        if cors.fixed is not None:
            return Reply(reply.status, reply.headers + cors.fixed, reply.body)
        return cors.apply(reply, origin) if cors.enabled else reply

    async def _scripted(
        self, call: Call, decision: Applied, receive: Receive, send: Send
    ) -> Reply | None:
        """The answer of the rule that applies: its own, or the normal one. None when a
        transport fault broke the connection or the client left during a delay."""
        exchange = call.exchange
        exchange.rule = decision.rule.id
        action = decision.action
        delay = action.delay_seconds(self.seed, decision.rule.id, decision.application)
        if delay and not await client_stays(delay, receive, self.delays):
            exchange.status, exchange.reason = CLIENT_GONE, "client disconnected"
            return None
        if action.fault is not None:
            exchange.fault = action.fault
            reply = fault_reply(action)
            if action.fault == "truncated_body":
                exchange.status = reply.status
            await perform_fault(action.fault, reply, send)
            return None
        if action.is_normal:
            return self.decide(call, exchange.method)
        return scripted_reply(self, call, action)

    def _facts(self, call: Call) -> RequestFacts:
        exchange = call.exchange
        return RequestFacts(
            exchange.method,
            exchange.path,
            call.query,
            exchange.headers,
            call.user_token,
            functools.partial(self.developer_tokens.peek, call.headers.get("authorization")),
        )

    def decide(self, call: Call, method: str) -> Reply:
        """The normal answer: routing, then the checks, then the endpoint (a browser's
        preflight first: it carries no credentials)."""
        if method == "OPTIONS" and self.cors.enabled:  # what browsers send first
            call.exchange.reason = "preflight"
            return self.cors.preflight(call.headers.get("origin"))
        path = call.exchange.path
        route = self.routes.get((method, path)) or self.router.find(method, path)
        if isinstance(route, AppleError):
            return self._unrouted(call, route)
        endpoint = call.endpoint = route.endpoint
        call.params = route.params
        for check in self.checks:
            reply = check(call)
            if reply is not None:
                return reply
        reply = endpoint.answer(self, call)
        if method == "HEAD":
            return Reply(reply.status, reply.headers, b"")
        return reply

    def _unrouted(self, call: Call, error: AppleError) -> Reply:
        if error.status != 405:
            return call.fail(error)
        allow = {"allow": ", ".join(self.router.allowed(call.exchange.path))}
        if self.settings.method_not_allowed_body == "empty":
            return empty_reply(405, headers=allow)
        return call.fail(error, allow)

    # --- the checks -------------------------------------------------------------------------

    def unauthorized(self) -> Reply:
        if self.settings.unauthorized_body == "errors":
            return error_reply(AppleError(401, "40100", "Invalid developer token"))
        return empty_reply(401)

    def check_developer_token(self, call: Call) -> Reply | None:
        exchange, headers = call.exchange, call.headers
        result = self.developer_tokens.check(
            headers.get("authorization"), headers.get("origin"), exchange.time
        )
        if isinstance(result, Rejection):
            exchange.reason = f"{result.reason}: {result.detail}"
            return self.unauthorized()
        limiter = self.limiter
        if limiter is not None and not limiter.allow(result.team_id, exchange.time):
            exchange.rule = RATE_LIMIT_RULE
            retry_after = limiter.limit.retry_after
            extra = {"retry-after": str(retry_after)} if retry_after is not None else None
            return call.fail(default_error(429), extra)
        return None

    def check_user_token(self, call: Call) -> Reply | None:
        if call.endpoint is not None and not call.endpoint.user_token:
            return None
        return self.user_token_refusal(call)

    def check_subscription(self, call: Call) -> Reply | None:
        if call.endpoint is not None and not call.endpoint.user_token:
            return None
        return self.subscription_refusal(call)

    def user_token_refusal(self, call: Call) -> Reply | None:
        """The answer to a missing, unknown or revoked Music-User-Token, or None (also for an
        endpoint that needs one only for some queries, e.g. ``include=library``)."""
        outcome = self.user_tokens.check(call.user_token)
        if outcome is None:
            return None
        if isinstance(outcome, AppleError):
            call.exchange.reason = "user token missing or rejected"
            return call.fail(outcome)
        call.exchange.reason = "user token missing"
        return self.unauthorized()

    def subscription_refusal(self, call: Call) -> Reply | None:
        error = self.user_tokens.check_subscription(call.user_token)
        return None if error is None else call.fail(error)

    def check_query(self, call: Call) -> Reply | None:
        assert call.endpoint is not None  # the router found one before the checks run
        result = self.parsers[call.endpoint.parser](call.query)
        if isinstance(result, AppleError):
            return call.fail(result)
        call.parsed = result
        return None


def _log_refusal(exchange: Exchange) -> None:
    """Why a request was refused, at INFO (reasons and details name no credential)."""
    why = exchange.reason or exchange.detail or ""
    if exchange.reason and exchange.detail:
        why = f"{exchange.reason}; {exchange.detail}"
    log.info(
        "#%d %s %s -> %d %s%s",
        exchange.seq,
        exchange.method,
        exchange.path,
        exchange.status,
        exchange.code or "",
        f": {why}" if why else "",
    )
