"""Helpers shared by the tests: callers that reach the app in-process or live, and the
assertions on Apple-shaped errors."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from starlette.types import ASGIApp

from mockserver import AdminClient, LiveServer, MockApp, MockController
from mockserver.wire import exchange

#: Pieces that, strung together, reach every corner of the query parser.
QUERY_FRAGMENTS = st.sampled_from(
    [
        "ids",
        "[",
        "]",
        "%5B",
        "%5D",
        "%5b",
        "%2C",
        "%2c",
        "%25",
        "%",
        "%ZZ",
        "%FF",
        "songs",
        "albums",
        "music-videos",
        "playlists",
        "artists",
        "=",
        "&",
        ",",
        "1564531202",
        "pl.u-06oxDj6to1qMmx",
        "i.abc",
        "l",
        "en-US",
        "zh-Hans-CN",
        "fr-FR",
        "en_US",
        "representation",
        "format",
        "+",
        " ",
        "\u00e9",
        "\x00",
        "?",
        "#",
        "/",
        "x",
    ]
)

USER_TOKEN = "user-token-1"


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, whichever way it travelled."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        """The first error of an errors body (one per problem: the first the checks found)."""
        errors = self.json()["errors"]
        assert errors, errors
        error: dict[str, Any] = errors[0]
        return error


def call_asgi(
    app: ASGIApp, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> Reply:
    """Call the ASGI app directly with a raw request target (no client re-encoding)."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    answer = asyncio.run(exchange(app, scope, body))
    response_headers: dict[str, str] = {}
    for name, value in answer.headers:
        response_headers[name.decode("latin-1").lower()] = value.decode("latin-1")
    return Reply(answer.status, response_headers, answer.body)


class Caller:
    """Default headers, overridable per call (a None value removes one)."""

    def __init__(self, default_headers: Mapping[str, str]) -> None:
        self.default_headers = default_headers

    def __call__(
        self,
        target: str,
        *,
        method: str = "POST",
        headers: Mapping[str, str | None] | None = None,
        body: bytes = b"",
    ) -> Reply:
        return self.send(method, target, _merge(self.default_headers, headers), body)

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError


class AsgiCaller(Caller):
    def __init__(self, app: ASGIApp, default_headers: Mapping[str, str]) -> None:
        super().__init__(default_headers)
        self.app = app

    def send(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        return call_asgi(self.app, method, target, raw, body)


class LiveCaller(Caller):
    def __init__(self, server: LiveServer, default_headers: Mapping[str, str]) -> None:
        super().__init__(default_headers)
        self.server = server

    def send(self, method: str, target: str, merged: dict[str, str], body: bytes) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            has_host = any(k.lower() == "host" for k in merged)
            connection.putrequest(method, target, skip_host=has_host, skip_accept_encoding=True)
            for name, value in merged.items():
                connection.putheader(name, value)
            if body or method == "POST":
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body or None)
            response = connection.getresponse()
            content = response.read()
            headers_out = {k.lower(): v for k, v in response.getheaders()}
            return Reply(response.status, headers_out, content)
        finally:
            connection.close()


def _merge(
    defaults: Mapping[str, str], headers: Mapping[str, str | None] | None
) -> dict[str, str]:
    """Defaults overridden by ``headers``; a None value removes the header."""
    merged = {k.lower(): v for k, v in defaults.items()}
    for name, value in (headers or {}).items():
        merged.pop(name.lower(), None)
        if value is not None:
            merged[name] = value
    return merged


Serve = Callable[..., Caller]


@dataclass
class Harness:
    """A fresh fake on loopback, controlled in process ("python") or over HTTP ("admin")."""

    app: MockApp
    server: LiveServer
    control: MockController | AdminClient
    call: LiveCaller

    @property
    def mock(self) -> MockController:
        return self.app.mock


SONGS = "/v1/me/library?ids[songs]=1564531202"
JSON_UTF8 = "application/json; charset=utf-8"


def assert_error(
    reply: Reply,
    validator: Draft202012Validator,
    status: int,
    code: str,
    parameter: str | None = None,
) -> dict[str, object]:
    assert reply.status == status, reply.body
    assert reply.headers["content-type"] == JSON_UTF8
    body = reply.json()
    validator.validate(body)
    error = reply.error
    assert error["status"] == str(status)
    assert error["code"] == code
    assert re.fullmatch(r"[A-Z2-7]{26}", error["id"])
    if parameter is None:
        assert "source" not in error
    else:
        assert error["source"] == {"parameter": parameter}
    return error
