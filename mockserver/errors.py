"""Apple-shaped error bodies and the package's exception classes."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

__all__ = [
    "JSON_CONTENT_TYPE",
    "TITLES",
    "AppleError",
    "ConfigError",
    "MockServerError",
    "empty_response",
    "error_id",
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
    if not errors:
        raise ValueError("errors_response needs at least one error")
    content = json.dumps(
        {"errors": [error.to_json() for error in errors]}, separators=(",", ":")
    ).encode()
    return Response(
        content,
        status_code=status or errors[0].status,
        headers={**(headers or {}), "content-type": JSON_CONTENT_TYPE},
    )


def empty_response(
    status: int, *, content_type: bool = True, headers: Mapping[str, str] | None = None
) -> Response:
    """An empty body (``content-length: 0``), with the JSON content type unless told not to."""
    merged = dict(headers or {})
    if content_type:
        merged["content-type"] = JSON_CONTENT_TYPE
    return Response(b"", status_code=status, headers=merged)
