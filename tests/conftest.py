"""Shared fixtures: a signing key, a valid token, and callers that reach the app in-process or
live (the helpers themselves are in ``support.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jsonschema import Draft202012Validator

from mockserver import (
    AdminClient,
    LiveServer,
    MockClock,
    MockController,
    Settings,
    create_app,
    generate_private_key,
    mint_developer_token,
)
from mockserver.schemas import load_schemas

from support import USER_TOKEN, AsgiCaller, Caller, Harness, LiveCaller, Serve

pytest_plugins = ["pytester"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reliability-full",
        action="store_true",
        default=False,
        help="run tests/reliability with the long bounds of RELIABILITY.md (minutes, not seconds)",
    )


@pytest.fixture(scope="session")
def reliability_full(request: pytest.FixtureRequest) -> bool:
    """Whether the long reliability runs were asked for (--reliability-full)."""
    return bool(request.config.getoption("--reliability-full"))


@pytest.fixture(scope="session")
def signing_key() -> ec.EllipticCurvePrivateKey:
    return generate_private_key()


@pytest.fixture(scope="session")
def dev_token(signing_key: ec.EllipticCurvePrivateKey) -> str:
    return mint_developer_token(signing_key, lifetime=24 * 3600)


@pytest.fixture(scope="session")
def auth_headers(dev_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {dev_token}", "Music-User-Token": USER_TOKEN}


@pytest.fixture(scope="session")
def errors_validator() -> Draft202012Validator:
    return load_schemas().validator("errors.schema.json")


@pytest.fixture(scope="session")
def default_live_server() -> Iterator[LiveServer]:
    with LiveServer(create_app()) as server:
        yield server


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


@pytest.fixture(params=["python", "admin"])
def harness(request: pytest.FixtureRequest, auth_headers: dict[str, str]) -> Iterator[Harness]:
    app = create_app(clock=MockClock())
    with LiveServer(app) as server:
        control: MockController | AdminClient = (
            app.mock if request.param == "python" else AdminClient(server.url)
        )
        yield Harness(app, server, control, LiveCaller(server, auth_headers))
