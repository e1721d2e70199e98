"""The admin API under ``/_mock/``: the controller's operations over HTTP, bodies validated
by ``schemas/admin.schema.json`` (and ``config``/``rule`` schemas)."""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import AppleError, ConfigError
from .schemas import load_schemas
from .wire import JSON_CONTENT_TYPE, error_reply

if TYPE_CHECKING:
    from .controller import MockController

__all__ = ["ADMIN_ROUTES", "ADMIN_TOKEN_HEADER", "error_response"]

ADMIN_TOKEN_HEADER = "x-mock-admin-token"
_JOURNAL_INTS = frozenset({"status", "since", "limit"})

Handler = Callable[[Request, "MockController"], Awaitable[Response]]


def error_response(error: AppleError, headers: dict[str, str] | None = None) -> Response:
    """An Apple-shaped errors answer as a Starlette response."""
    reply = error_reply(error, headers=headers)
    response = Response(reply.body, status_code=reply.status)
    response.raw_headers = list(reply.headers)
    return response


def _bad(detail: str) -> Response:
    return error_response(AppleError(400, "40000", detail))


def _is_loopback(host: str | None) -> bool:
    if host in (None, "localhost", "testclient"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _guarded(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """The admin-token (or loopback) guard, and ConfigError as a 400 naming the problem."""

    async def endpoint(request: Request) -> Response:
        mock: MockController = request.app.mock
        token = mock.settings.admin_token
        if token is not None:
            given = request.headers.get(ADMIN_TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                detail = f"Admin API needs a valid {ADMIN_TOKEN_HEADER} header"
                return error_response(AppleError(403, "40300", detail))
        else:
            server = request.scope.get("server")
            if server is not None and not _is_loopback(server[0]):
                detail = (
                    "Admin API is disabled on a non-loopback address unless admin_token is set"
                )
                return error_response(AppleError(403, "40300", detail))
        try:
            return await handler(request, mock)
        except ConfigError as error:
            return _bad(str(error))

    return endpoint


async def _body(request: Request, definition: str | None = None) -> Any:
    raw = await request.body()
    try:
        data = json.loads(raw or b"null")
    except ValueError as error:
        raise ConfigError(f"request body is not valid JSON: {error}") from None
    if definition is not None:
        validator = load_schemas().validator(f"admin.schema.json#/$defs/{definition}")
        problem = next(iter(sorted(validator.iter_errors(data), key=lambda e: e.path)), None)
        if problem is not None:
            where = "/" + "/".join(map(str, problem.path))
            raise ConfigError(f"invalid body at '{where}': {problem.message}")
    return data


def _json(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status, headers={"content-type": JSON_CONTENT_TYPE})


def _public_config(mock: MockController) -> dict[str, Any]:
    config = mock.settings.to_mapping()
    config.pop("admin_token")
    return config


async def health(request: Request, mock: MockController) -> Response:
    return _json({"status": "ok"})


async def get_config(request: Request, mock: MockController) -> Response:
    return _json(_public_config(mock))


async def change_config(request: Request, mock: MockController) -> Response:
    data = await _body(request)
    if not isinstance(data, dict):
        raise ConfigError("the config body must be an object of settings")
    if "admin_token" in data:
        raise ConfigError("admin_token cannot be changed through the admin API")
    base = {} if request.method == "PUT" else _public_config(mock)
    if request.method == "PATCH" and "rules" not in data:
        base.pop("rules")
    mock.configure({**base, **data, "admin_token": mock.settings.admin_token})
    return _json(_public_config(mock))


async def list_rules(request: Request, mock: MockController) -> Response:
    return _json({"rules": mock.list_rules()})


async def add_rule(request: Request, mock: MockController) -> Response:
    data = await _body(request)
    if not isinstance(data, dict):
        raise ConfigError("a rule must be an object")
    return _json(mock.add_rule(data).to_json(), 201)


async def delete_rules(request: Request, mock: MockController) -> Response:
    for rule in mock.list_rules():
        mock.delete_rule(rule["id"])
    return Response(status_code=204)


async def delete_rule(request: Request, mock: MockController) -> Response:
    rule_id = request.path_params["rule_id"]
    if not mock.delete_rule(rule_id):
        return error_response(AppleError(404, "40400", f"No rule with id {rule_id!r}"))
    return Response(status_code=204)


async def reset(request: Request, mock: MockController) -> Response:
    data = await _body(request) or {}
    validator = load_schemas().validator("admin.schema.json#/$defs/reset")
    if not validator.is_valid(data):
        raise ConfigError('reset takes {} or {"namespace": "<music user token>"}')
    mock.reset(data.get("namespace"))
    return Response(status_code=204)


def _journal_filters(request: Request) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in _JOURNAL_INTS:
            if not value.isdigit():
                raise ConfigError(f"journal filter {key!r} must be a whole number, not {value!r}")
            filters[key] = int(value)
        else:
            filters[key] = value
    validator = load_schemas().validator("admin.schema.json#/$defs/journalQuery")
    problem = next(iter(validator.iter_errors(filters)), None)
    if problem is not None:
        raise ConfigError(f"invalid journal filter: {problem.message}")
    return filters


async def journal(request: Request, mock: MockController) -> Response:
    entries = mock.journal_entries(**_journal_filters(request))
    return _json({"entries": [e.to_json() for e in entries], "count": len(entries)})


async def journal_count(request: Request, mock: MockController) -> Response:
    return _json(
        {"count": mock.journal_count(**_journal_filters(request)), **mock.journal_stats()}
    )


async def clear_journal(request: Request, mock: MockController) -> Response:
    unknown = set(request.query_params) - {"user_token"}
    if unknown:
        raise ConfigError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    mock.clear_journal(request.query_params.get("user_token"))
    return Response(status_code=204)


async def get_library(request: Request, mock: MockController) -> Response:
    return _json(mock.get_library(request.path_params["user"]))


async def put_library(request: Request, mock: MockController) -> Response:
    data = await _body(request, "library")
    return _json(mock.put_library(request.path_params["user"], data))


async def get_clock(request: Request, mock: MockController) -> Response:
    return _json(mock.get_time())


async def put_clock(request: Request, mock: MockController) -> Response:
    data = await _body(request, "clock")
    if "real" in data:
        return _json(mock.real_time())
    if "now" in data:
        mock.set_time(data["now"], frozen=data.get("frozen", True))
    if "advance" in data:
        mock.advance_time(data["advance"])
    return _json(mock.get_time())


_TABLE: list[tuple[str, Handler, list[str]]] = [
    ("/health", health, ["GET"]),
    ("/config", get_config, ["GET"]),
    ("/config", change_config, ["PUT", "PATCH"]),
    ("/rules", list_rules, ["GET"]),
    ("/rules", add_rule, ["POST"]),
    ("/rules", delete_rules, ["DELETE"]),
    ("/rules/{rule_id}", delete_rule, ["DELETE"]),
    ("/reset", reset, ["POST"]),
    ("/journal", journal, ["GET"]),
    ("/journal", clear_journal, ["DELETE"]),
    ("/journal/count", journal_count, ["GET"]),
    ("/library/{user:path}", get_library, ["GET"]),
    ("/library/{user:path}", put_library, ["PUT"]),
    ("/clock", get_clock, ["GET"]),
    ("/clock", put_clock, ["PUT"]),
]

#: Routes for ``Mount("/_mock", routes=ADMIN_ROUTES)`` in an app whose ``mock`` is the
#: controller.
ADMIN_ROUTES = [
    Route(path, _guarded(handler), methods=methods) for path, handler, methods in _TABLE
]
