"""The package's exceptions, Apple's error object, and the default Apple-shaped error for
each status."""

from __future__ import annotations

import base64
import http
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_ERRORS",
    "TITLES",
    "AppleError",
    "ConfigError",
    "MockServerError",
    "default_error",
    "error_id",
]

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
    "50700": "Insufficient Storage",
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
    pointer: str | None = None
    """``source.pointer`` (a JSON pointer into a request body) instead of a parameter."""
    more: tuple[AppleError, ...] = ()
    """Further problems of the same request, answered after this one (one object each)."""

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": error_id()} if self.include_id else {}
        body["title"] = self.title or TITLES.get(self.code, "Error")
        if self.detail is not None:
            body["detail"] = self.detail
        body["status"] = str(self.status)
        body["code"] = self.code
        if self.parameter is not None:
            body["source"] = {"parameter": self.parameter}
        elif self.pointer is not None:
            body["source"] = {"pointer": self.pointer}
        if self.message_for_display is not None:
            body["messageForDisplay"] = self.message_for_display
        return body


#: The Apple-shaped body each scripted status gets by default (README, "Every answer").
DEFAULT_ERRORS: Mapping[int, AppleError] = {
    400: AppleError(400, "40005", "Invalid Parameter Value"),
    403: AppleError(403, "40300", "Invalid authentication"),
    404: AppleError(404, "40400", "The requested resource was not found"),
    405: AppleError(405, "40500", "Method not allowed"),
    429: AppleError(429, "42900", "Request is forbidden", include_id=False),
    500: AppleError(500, "50001", "Upstream Service Error"),
    503: AppleError(503, "50300", "Service Unavailable"),
}


def default_error(status: int) -> AppleError:
    """The default error for ``status``: Apple's where one was seen, else ``<status>00`` with
    the standard reason phrase as title."""
    known = DEFAULT_ERRORS.get(status)
    if known is not None:
        return known
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return AppleError(status, f"{status}00", phrase, title=phrase)
