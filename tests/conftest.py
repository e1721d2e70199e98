"""Shared fixtures: signing keys, valid tokens, and callers that reach the app in-process or live."""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from starlette.types import ASGIApp, Message

from mockserver import (
    AdminClient,
    LiveServer,
    MockApp,
    MockClock,
    MockController,
    Settings,
    create_app,
    generate_private_key,
    mint_developer_token,
)
from mockserver.schemas import load_schemas

pytest_plugins = ["pytester"]

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
        """The single error of an errors body."""
        errors = self.json()["errors"]
        assert len(errors) == 1, errors
        return errors[0]  # type: ignore[no-any-return]


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
    messages: list[Message] = []
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = messages[0]
    response_headers: dict[str, str] = {}
    for name, value in start["headers"]:
        response_headers[name.decode("latin-1").lower()] = value.decode("latin-1")
    content = b"".join(m.get("body", b"") for m in messages[1:])
    return Reply(start["status"], response_headers, content)


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


@pytest.fixture(scope="session")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def developer_token(signing_key: ec.EllipticCurvePrivateKey) -> str:
    return mint_developer_token(signing_key, lifetime=24 * 3600)


@pytest.fixture(scope="session")
def auth_headers(developer_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {developer_token}", "Music-User-Token": USER_TOKEN}


@pytest.fixture(scope="session")
def errors_validator() -> Draft202012Validator:
    return load_schemas().validator("errors.schema.json")


@pytest.fixture(scope="session")
def default_live_server() -> Iterator[LiveServer]:
    with LiveServer(create_app()) as server:
        yield server


Serve = Callable[..., Caller]


@pytest.fixture(params=["asgi", pytest.param("live", marks=pytest.mark.live)])
def serve(
    request: pytest.FixtureRequest,
    auth_headers: dict[str, str],
    default_live_server: LiveServer,
) -> Iterator[Serve]:
    """``serve(**settings)`` -> a caller for an app with those settings, in-process or live."""
    servers: list[LiveServer] = []

    def factory(settings: Settings | None = None, **overrides: Any) -> Caller:
        if request.param == "asgi":
            return AsgiCaller(create_app(settings, **overrides), auth_headers)
        if settings is None and not overrides:
            return LiveCaller(default_live_server, auth_headers)
        server = LiveServer(create_app(settings, **overrides)).start()
        servers.append(server)
        return LiveCaller(server, auth_headers)

    yield factory
    for server in servers:
        server.stop()


@pytest.fixture
def call(serve: Serve) -> Caller:
    """A caller for the default app (both in-process and live)."""
    return serve()


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


@pytest.fixture(params=["python", "admin"])
def harness(request: pytest.FixtureRequest, auth_headers: dict[str, str]) -> Iterator[Harness]:
    app = create_app(clock=MockClock())
    with LiveServer(app) as server:
        control: MockController | AdminClient = (
            app.mock if request.param == "python" else AdminClient(server.url)
        )
        yield Harness(app, server, control, LiveCaller(server, auth_headers))
