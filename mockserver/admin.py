"""The admin API under ``/_mock/``: the controller's operations over HTTP, bodies validated
by ``schemas/admin.schema.json`` (and ``config``/``rule`` schemas)."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import check_finite
from .errors import AppleError, ConfigError
from .schemas import load_schemas
from .wire import JSON_CONTENT_TYPE, error_reply

if TYPE_CHECKING:
    from .controller import MockController

__all__ = ["ADMIN_ROUTES", "ADMIN_TOKEN_HEADER", "error_response"]

ADMIN_TOKEN_HEADER = "x-mock-admin-token"
_JOURNAL_INTS = frozenset({"status", "since", "limit"})
_WHOLE = re.compile(r"[0-9]{1,18}\Z")

Handler = Callable[[Request, "MockController"], Awaitable[Response]]


def error_response(error: AppleError, headers: dict[str, str] | None = None) -> Response:
    """An Apple-shaped errors answer as a Starlette response."""
    reply = error_reply(error, headers=headers)
    response = Response(reply.body, status_code=reply.status)
    response.raw_headers = list(reply.headers)
    return response


def _bad(detail: str) -> Response:
    return error_response(AppleError(400, "40000", detail))


_FORWARDING = (b"forwarded", b"x-forwarded-for", b"x-real-ip")


def _is_loopback(host: str | None) -> bool:
    if host in (None, "localhost", "testclient"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return bool((mapped or address).is_loopback)


def _local(request: Request) -> str | None:
    """Why an admin request without a token is not from this machine (None when it is)."""
    server, client = request.scope.get("server"), request.scope.get("client")
    if server is not None and not _is_loopback(server[0]):
        return "the fake listens on a non-loopback address"
    if client is not None and not _is_loopback(client[0]):
        return "the request comes from another machine"
    if any(name in _FORWARDING for name, _ in request.scope["headers"]):
        return "the request was forwarded by a proxy"
    return None


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
            remote = _local(request)
            if remote is not None:
                detail = f"Admin API without admin_token answers loopback only: {remote}"
                return error_response(AppleError(403, "40300", detail))
        try:
            return await handler(request, mock)
        except ConfigError as error:
            return _bad(str(error))
        except _TooLarge as error:
            return error_response(AppleError(413, "41300", str(error)))
        except ClientDisconnect:  # left while sending its body: nobody to answer
            return Response(status_code=400)

    return endpoint


class _TooLarge(Exception):
    """An admin body past ``admin_max_body_bytes``."""


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def _raw_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _TooLarge(f"request body is {int(declared)} bytes; admin_max_body_bytes={limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"request body is over admin_max_body_bytes={limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null", parse_constant=_no_constants)
    except RecursionError:
        raise ConfigError("request body is not valid JSON: nested too deeply") from None
    except ValueError as error:
        raise ConfigError(f"request body is not valid JSON: {error}") from None


async def _body(request: Request, definition: str | None = None) -> Any:
    mock: MockController = request.app.mock
    raw = await _raw_body(request, mock.settings.admin_max_body_bytes)
    data = await anyio.to_thread.run_sync(_decode, raw)  # a large body must not stall the loop
    try:
        check_finite(data, "body")
    except RecursionError:
        raise ConfigError("request body is not valid here: nested too deeply") from None
    if definition is not None:
        validator = load_schemas().validator(f"admin.schema.json#/$defs/{definition}")
        problem = next(iter(sorted(validator.iter_errors(data), key=lambda e: e.path)), None)
        if problem is not None:
            where = "/" + "/".join(map(str, problem.path))
            raise ConfigError(f"invalid body at '{where}': {problem.message}")
    return data


def _json(data: Any, status: int = 200) -> Response:
    return JSONResponse(data, status_code=status, headers={"content-type": JSON_CONTENT_TYPE})


def _public_config(mock: MockController, namespace: str | None = None) -> dict[str, Any]:
    config = mock.settings_for(namespace).to_mapping()
    config.pop("admin_token")
    return config


def _namespace(request: Request) -> str | None:
    """The ``namespace`` query parameter (a Music-User-Token): one user's share of the fake."""
    values = request.query_params.getlist("namespace")
    unknown = sorted(set(request.query_params) - {"namespace"})
    if unknown:
        raise ConfigError(f"unknown query parameter {unknown[0]!r} (only 'namespace' is allowed)")
    if len(values) > 1 or (values and not values[0]):
        raise ConfigError("'namespace' must be given once, as a non-empty Music-User-Token")
    return values[0] if values else None


async def health(request: Request, mock: MockController) -> Response:
    return _json({"status": "ok"})


async def get_config(request: Request, mock: MockController) -> Response:
    return _json(_public_config(mock, _namespace(request)))


async def change_config(request: Request, mock: MockController) -> Response:
    namespace = _namespace(request)
    data = await _body(request)
    if not isinstance(data, dict):
        raise ConfigError("the config body must be an object of settings")
    if "admin_token" in data:
        raise ConfigError("admin_token cannot be changed through the admin API")
    if namespace is not None:
        if request.method == "PUT":
            await anyio.to_thread.run_sync(lambda: mock.configure(data, namespace=namespace))
        else:
            await anyio.to_thread.run_sync(lambda: mock.configure(namespace=namespace, **data))
        return _json(_public_config(mock, namespace))
    base = {} if request.method == "PUT" else _public_config(mock)
    if request.method == "PATCH" and "rules" not in data:
        base.pop("rules")
    merged = {**base, **data, "admin_token": mock.settings.admin_token}
    if request.method == "PATCH" and "catalog" not in data:  # kept as is: not checked again
        merged["catalog"] = mock.settings.catalog
    await anyio.to_thread.run_sync(mock.configure, merged)
    return _json(_public_config(mock))


async def trust_key(request: Request, mock: MockController) -> Response:
    data = await _body(request, "trustKey")
    added = await anyio.to_thread.run_sync(mock.trust_developer_key, data["key"])
    return _json(
        {"added": added, "trusted": len(mock.settings.developer_keys)}, 201 if added else 200
    )


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
    data = await _body(request)
    data = {} if data is None else data
    validator = load_schemas().validator("admin.schema.json#/$defs/reset")
    if not validator.is_valid(data):
        raise ConfigError(
            'reset takes {} or {"namespace": "<music user token>"}, optionally with '
            '"keep_journal": true'
        )
    mock.reset(data.get("namespace"), keep_journal=data.get("keep_journal", False))
    return Response(status_code=204)


def _journal_filters(request: Request) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in _JOURNAL_INTS:
            if not _WHOLE.match(value):
                raise ConfigError(
                    f"journal filter {key!r} must be a whole number of up to 18 digits, "
                    f"not {value[:40]!r}"
                )
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
    user = request.path_params["user"]
    return _json(await anyio.to_thread.run_sync(mock.put_library, user, data))


async def get_catalog(request: Request, mock: MockController) -> Response:
    return _json(mock.get_catalog(_namespace(request)))


async def change_catalog(request: Request, mock: MockController) -> Response:
    """``PUT`` replaces the catalog (``null``: the open catalog); ``PATCH`` adds resources,
    replacing those of the same type and id."""
    namespace = _namespace(request)
    data = await _body(request)
    if request.method == "PATCH":
        if not isinstance(data, dict):
            raise ConfigError("the catalog patch must be an object of resources per type")
        change = functools.partial(mock.patch_catalog, data, namespace=namespace)
    else:
        change = functools.partial(mock.put_catalog, data, namespace=namespace)
    return _json(await anyio.to_thread.run_sync(change))


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
    ("/keys", trust_key, ["POST"]),
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
    ("/catalog", get_catalog, ["GET"]),
    ("/catalog", change_catalog, ["PUT", "PATCH"]),
    ("/clock", get_clock, ["GET"]),
    ("/clock", put_clock, ["PUT"]),
]


def _route(path: str, handlers: dict[str, Handler]) -> Route:
    """One route per path, so a 405's ``Allow`` lists every method the path serves."""
    guarded = {method: _guarded(handler) for method, handler in handlers.items()}

    async def endpoint(request: Request) -> Response:
        return await guarded[request.method if request.method != "HEAD" else "GET"](request)

    return Route(path, endpoint, methods=list(handlers))


_BY_PATH: dict[str, dict[str, Handler]] = {}
for _path, _handler, _methods in _TABLE:
    for _method in _methods:
        _BY_PATH.setdefault(_path, {})[_method] = _handler

#: Routes for ``Mount("/_mock", app=Router(ADMIN_ROUTES))`` in an app whose ``mock`` is the
#: controller.
ADMIN_ROUTES = [_route(path, handlers) for path, handlers in _BY_PATH.items()]
