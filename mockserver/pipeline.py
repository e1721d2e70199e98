"""The request path's checks and answers for one configuration, and the per-request record.

``Pipeline.add`` is ``POST /v1/me/library`` after any scripted rule: developer token (and
rate limit), user token, subscription and query in the configured order, then the library.
``Exchange`` collects what the checks decide; ``Exchange.record`` is what the journal keeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .auth import DeveloperTokenVerifier, Rejection, UserTokenPolicy
from .config import Settings
from .errors import AppleError, Reply, empty_reply, error_reply
from .journal import SEPARATOR, flatten, pack_headers
from .query import IgnoredId, ParsedQuery, QueryParser, decode_query
from .rules import DEFAULT_ERRORS, Action, RateLimiter
from .schemas import SchemaSet

if TYPE_CHECKING:
    from .controller import MockController

__all__ = ["ENDPOINT", "Exchange", "Headers", "Pipeline", "read_headers"]

ENDPOINT = "/v1/me/library"
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
        strings, which the garbage collector soon stops tracking (a full journal then
        costs no collection time). Fields as :class:`JournalRecord`'s; the ids
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
