"""Apple-shaped error bodies and the package's exception classes."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from starlette.responses import Response
from starlette.types import Send

__all__ = [
    "JSON_CONTENT_TYPE",
    "TITLES",
    "AppleError",
    "ConfigError",
    "MockServerError",
    "Reply",
    "empty_reply",
    "empty_response",
    "error_id",
    "error_reply",
    "errors_response",
]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

#: Titles by code. Codes seen in real responses: 40004, 40005, 40015, 40300, 42900, 50001.
#: The others are the fake's own choice for statuses whose real body nobody has published.
TITLES: Mapping[str, str] = {
    "40000": "Bad Request",
    "40004": "Invalid Parameter",
    "40005": "Invalid Parameter Value",
    "40015": "Insufficient Privileges",
    "40100": "Unauthorized",
    "40300": "Forbidden",
    "40400": "Resource Not Found",
    "40500": "Method Not Allowed",
    "41300": "Payload Too Large",
    "41400": "URI Too Long",
    "42900": "Too Many Requests",
    "50000": "Internal Server Error",
    "50001": "Upstream Service Error",
    "50300": "Service Unavailable",
}


class MockServerError(Exception):
    """Base class of every exception this package raises on purpose."""


class ConfigError(MockServerError, ValueError):
    """A setting, config file or admin request has an invalid value."""


def error_id() -> str:
    """A fresh error id shaped like Apple's: 26 uppercase base32 characters."""
    return base64.b32encode(os.urandom(16)).decode("ascii")[:26]


@dataclass(frozen=True, slots=True)
class AppleError:
    """One entry of an ``errors`` array. ``status`` and ``code`` are sent as strings."""

    status: int
    code: str
    detail: str | None = None
    parameter: str | None = None
    title: str | None = None
    message_for_display: str | None = None
    include_id: bool = True
    """Real 429 bodies carry no id; everything else the fake sends has one."""

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": error_id()} if self.include_id else {}
        body["title"] = self.title or TITLES.get(self.code, "Error")
        if self.detail is not None:
            body["detail"] = self.detail
        body["status"] = str(self.status)
        body["code"] = self.code
        if self.parameter is not None:
            body["source"] = {"parameter": self.parameter}
        if self.message_for_display is not None:
            body["messageForDisplay"] = self.message_for_display
        return body


def errors_response(
    *errors: AppleError, headers: Mapping[str, str] | None = None, status: int | None = None
) -> Response:
    """``{"errors": [...]}`` with the first error's status (or ``status``)."""
    return error_reply(*errors, headers=headers, status=status).response()


def empty_response(
    status: int, *, content_type: bool = True, headers: Mapping[str, str] | None = None
) -> Response:
    """An empty body (``content-length: 0``), with the JSON content type unless told not to."""
    return empty_reply(status, content_type=content_type, headers=headers).response()


_JSON_HEADER = (b"content-type", JSON_CONTENT_TYPE.encode())


class Reply(NamedTuple):
    """A complete answer as raw ASGI parts (cheaper than a Starlette Response)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})

    def response(self) -> Response:
        response = Response(self.body, status_code=self.status)
        response.raw_headers = list(self.headers)
        return response


def _raw_headers(
    body: bytes, content_type: bool, headers: Mapping[str, str] | None
) -> list[tuple[bytes, bytes]]:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    names = {k for k, _ in raw}
    if content_type and b"content-type" not in names:
        raw.append(_JSON_HEADER)
    if b"content-length" not in names:
        raw.append((b"content-length", str(len(body)).encode()))
    return raw


def error_reply(
    *errors: AppleError, headers: Mapping[str, str] | None = None, status: int | None = None
) -> Reply:
    """``{"errors": [...]}`` as a :class:`Reply`."""
    if not errors:
        raise ValueError("error_reply needs at least one error")
    body = json.dumps(
        {"errors": [error.to_json() for error in errors]}, separators=(",", ":")
    ).encode()
    return Reply(status or errors[0].status, _raw_headers(body, True, headers), body)


def empty_reply(
    status: int, *, content_type: bool = True, headers: Mapping[str, str] | None = None
) -> Reply:
    """An empty answer (``content-length: 0``), JSON content type unless told not to."""
    return Reply(status, _raw_headers(b"", content_type, headers), b"")
