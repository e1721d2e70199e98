"""The admin API under ``/_mock/``: the controller's operations over HTTP, bodies validated."""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import AppleError, ConfigError, errors_response
from .schemas import load_schemas

if TYPE_CHECKING:
    from .controller import MockController

__all__ = ["ADMIN_TOKEN_HEADER", "admin_routes"]

ADMIN_TOKEN_HEADER = "x-mock-admin-token"
_JOURNAL_INTS = frozenset({"status", "since", "limit"})

Handler = Callable[[Request], Awaitable[Response]]


def _bad(detail: str, pointer: str | None = None) -> Response:
    error = AppleError(400, "40000", detail)
    body = error.to_json()
    if pointer is not None:
        body["source"] = {"pointer": pointer}
    return JSONResponse(
        {"errors": [body]},
        status_code=400,
        headers={"content-type": "application/json; charset=utf-8"},
    )


def _is_loopback(host: str | None) -> bool:
    if host in (None, "localhost", "testclient"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def admin_routes(mock: MockController) -> list[Route]:
    """Routes for ``Mount("/_mock", routes=admin_routes(mock))``."""
    schemas = load_schemas()

    def guarded(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            token = mock.settings.admin_token
            if token is not None:
                given = request.headers.get(ADMIN_TOKEN_HEADER, "")
                if not hmac.compare_digest(given.encode(), token.encode()):
                    return errors_response(
                        AppleError(
                            403, "40300", f"Admin API needs a valid {ADMIN_TOKEN_HEADER} header"
                        )
                    )
            else:
                server = request.scope.get("server")
                if server is not None and not _is_loopback(server[0]):
                    return errors_response(
                        AppleError(
                            403,
                            "40300",
                            "Admin API is disabled on a non-loopback address unless admin_token is set",
                        )
                    )
            try:
                return await handler(request)
            except ConfigError as error:
                return _bad(str(error))

        return endpoint

    async def body_of(request: Request, definition: str | None = None) -> Any:
        raw = await request.body()
        try:
            data = json.loads(raw or b"null")
        except ValueError as error:
            raise ConfigError(f"request body is not valid JSON: {error}") from None
        if definition is not None:
            validator = schemas.validator(f"admin.schema.json#/$defs/{definition}")
            problem = next(iter(sorted(validator.iter_errors(data), key=lambda e: e.path)), None)
            if problem is not None:
                where = "/" + "/".join(map(str, problem.path))
                raise ConfigError(f"invalid body at '{where}': {problem.message}")
        return data

    def public_config() -> dict[str, Any]:
        config = mock.settings.to_mapping()
        config.pop("admin_token")
        return config

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def get_config(request: Request) -> Response:
        return JSONResponse(public_config())

    async def put_config(request: Request) -> Response:
        data = await body_of(request)
        if not isinstance(data, dict):
            raise ConfigError("the config body must be an object of settings")
        if "admin_token" in data:
            raise ConfigError("admin_token cannot be changed through the admin API")
        base = {} if request.method == "PUT" else public_config()
        if request.method == "PATCH" and "rules" not in data:
            base.pop("rules")
        merged = {**base, **data, "admin_token": mock.settings.admin_token}
        mock.configure(merged)
        return JSONResponse(public_config())

    async def list_rules(request: Request) -> Response:
        return JSONResponse({"rules": mock.list_rules()})

    async def add_rule(request: Request) -> Response:
        data = await body_of(request)
        if not isinstance(data, dict):
            raise ConfigError("a rule must be an object")
        return JSONResponse(mock.add_rule(data).to_json(), status_code=201)

    async def delete_rules(request: Request) -> Response:
        for rule in mock.list_rules():
            mock.delete_rule(rule["id"])
        return Response(status_code=204)

    async def delete_rule(request: Request) -> Response:
        rule_id = request.path_params["rule_id"]
        if not mock.delete_rule(rule_id):
            return errors_response(AppleError(404, "40400", f"No rule with id {rule_id!r}"))
        return Response(status_code=204)

    async def reset(request: Request) -> Response:
        data = await body_of(request) or {}
        validator = schemas.validator("admin.schema.json#/$defs/reset")
        if not validator.is_valid(data):
            raise ConfigError('reset takes {} or {"namespace": "<music user token>"}')
        mock.reset(data.get("namespace"))
        return Response(status_code=204)

    def journal_filters(request: Request) -> dict[str, Any]:
        filters: dict[str, Any] = {}
        for key, value in request.query_params.multi_items():
            if key in _JOURNAL_INTS:
                if not value.isdigit():
                    raise ConfigError(
                        f"journal filter {key!r} must be a whole number, not {value!r}"
                    )
                filters[key] = int(value)
            else:
                filters[key] = value
        validator = schemas.validator("admin.schema.json#/$defs/journalQuery")
        problem = next(iter(validator.iter_errors(filters)), None)
        if problem is not None:
            raise ConfigError(f"invalid journal filter: {problem.message}")
        return filters

    async def journal(request: Request) -> Response:
        entries = mock.journal_entries(**journal_filters(request))
        return JSONResponse({"entries": [e.to_json() for e in entries], "count": len(entries)})

    async def journal_count(request: Request) -> Response:
        return JSONResponse(
            {"count": mock.journal_count(**journal_filters(request)), **mock.journal_stats()}
        )

    async def clear_journal(request: Request) -> Response:
        unknown = set(request.query_params) - {"user_token"}
        if unknown:
            raise ConfigError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        mock.clear_journal(request.query_params.get("user_token"))
        return Response(status_code=204)

    async def get_library(request: Request) -> Response:
        return JSONResponse(mock.get_library(request.path_params["user"]))

    async def put_library(request: Request) -> Response:
        data = await body_of(request, "library")
        return JSONResponse(mock.put_library(request.path_params["user"], data))

    async def get_clock(request: Request) -> Response:
        return JSONResponse(mock.get_time())

    async def put_clock(request: Request) -> Response:
        data = await body_of(request, "clock")
        if "real" in data:
            return JSONResponse(mock.real_time())
        if "now" in data:
            mock.set_time(data["now"], frozen=data.get("frozen", True))
        if "advance" in data:
            mock.advance_time(data["advance"])
        return JSONResponse(mock.get_time())

    table: list[tuple[str, Handler, list[str]]] = [
        ("/health", health, ["GET"]),
        ("/config", get_config, ["GET"]),
        ("/config", put_config, ["PUT", "PATCH"]),
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
    return [Route(path, guarded(handler), methods=methods) for path, handler, methods in table]
