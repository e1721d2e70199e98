"""The pytest plugin (entry point ``pytest11``): thin fixtures over importable classes."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockserver import AdminClient, LiveServer, MockApp

    from .handle import AppleMusicMock
    from .respx_route import AppleMusicRespx
    from .tokens import TokenFactory

__all__ = ["AppleMusicSession"]

_SESSION_KEY = pytest.StashKey["AppleMusicSession"]()
_HANDLE_KEY = pytest.StashKey["AppleMusicMock"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apple-music-mock", "Apple Music API fake (apple-music-mock)")
    group.addoption(
        "--apple-music-url",
        dest="apple_music_url",
        default=None,
        help="use the fake already running at this URL (e.g. started by 'apple-music-mock serve'); "
        "tests are isolated by Music-User-Token namespaces",
    )
    group.addoption(
        "--apple-music-strict",
        dest="apple_music_strict",
        action="store_true",
        default=None,
        help="fail a test whose client sent a request the real API would refuse, unless the "
        "test called apple_music.expect_contract_violations()",
    )
    group.addoption(
        "--apple-music-config",
        dest="apple_music_config",
        default=None,
        help="settings file (.toml/.json) for the in-process fake",
    )
    parser.addini("apple_music_url", "default for --apple-music-url", default=None)
    parser.addini(
        "apple_music_strict", "default for --apple-music-strict", type="bool", default=False
    )
    parser.addini("apple_music_config", "default for --apple-music-config", default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "apple_music(**settings): per-test settings of the Apple Music fake, with the names "
        "of mockserver.Settings, e.g. @pytest.mark.apple_music(repeated_keys='reject')",
    )
    config.stash[_SESSION_KEY] = AppleMusicSession.from_config(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION_KEY, None)
    if session is not None:
        session.close()


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[_SESSION_KEY].describe()


class AppleMusicSession:
    """The fake for a whole pytest session (per xdist worker): an in-process app, its live
    server when asked for, or an external server. Usable without pytest as a context manager.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        strict: bool = False,
        config_file: str | None = None,
        worker: str = "main",
    ) -> None:
        self.url = url.rstrip("/") if url else None
        self.strict = strict
        self.config_file = config_file
        self.worker = worker
        self._tokens: TokenFactory | None = None
        self._app: MockApp | None = None
        self._server: LiveServer | None = None
        self._admin: AdminClient | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> AppleMusicSession:
        url = config.getoption("apple_music_url") or config.getini("apple_music_url") or None
        strict = config.getoption("apple_music_strict")
        if strict is None:
            strict = bool(config.getini("apple_music_strict"))
        config_file = (
            config.getoption("apple_music_config") or config.getini("apple_music_config") or None
        )
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        if config_file is not None and not Path(config_file).is_file():
            raise pytest.UsageError(f"--apple-music-config: no such file: {config_file}")
        return cls(url=url, strict=bool(strict), config_file=config_file, worker=worker)

    @property
    def tokens(self) -> TokenFactory:
        """The session's signing key and token factory (made on first use: a run that uses
        no fixture of the plugin imports nothing of the fake)."""
        if self._tokens is None:
            from .tokens import TokenFactory

            self._tokens = TokenFactory(prefix=f"amm-{self.worker}")
        return self._tokens

    @property
    def external(self) -> bool:
        return self.url is not None

    def describe(self) -> str:
        strict = "on" if self.strict else "off"
        if self.url is not None:
            return f"apple-music-mock: external server {self.url} (strict: {strict}, isolated by user-token namespace)"
        source = self.config_file or "defaults"
        return f"apple-music-mock: in-process fake, settings from {source}, signatures verified with a session key (strict: {strict})"

    @property
    def app(self) -> MockApp:
        if self.external:
            raise pytest.UsageError(
                "apple_music_app is not available with --apple-music-url (the fake runs elsewhere)"
            )
        if self._app is None:
            from mockserver import Settings, create_app, load_config

            settings = load_config(self.config_file) if self.config_file else Settings()
            keys = [*settings.developer_keys, self.tokens.public_key_pem]
            self._app = create_app(settings.replace(developer_keys=keys))
        return self._app

    @property
    def server_url(self) -> str:
        if self.url is not None:
            return self.url
        if self._server is None:
            from mockserver import LiveServer

            self._server = LiveServer(self.app).start()
        return self._server.url

    @property
    def control(self) -> Any:
        if self.url is None:
            return self.app.mock
        if self._admin is None:
            from mockserver import AdminClient

            self._admin = AdminClient(self.url)
            if not self._admin.health():
                raise pytest.UsageError(
                    f"--apple-music-url: no apple-music-mock answers at {self.url}/_mock/health"
                )
        return self._admin

    def handle(self) -> AppleMusicMock:
        from .handle import AppleMusicMock

        return AppleMusicMock(
            self.control,
            user_token=self.tokens.user(),
            developer_token=self.tokens.valid(),
            scoped=self.external,
        )

    def respx(self) -> AppleMusicRespx:
        from .respx_route import AppleMusicRespx

        return AppleMusicRespx(forward_to=self.url) if self.url else AppleMusicRespx(self.app)

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> AppleMusicSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def apple_music(request: pytest.FixtureRequest) -> Iterator[AppleMusicMock]:
    """The per-test handle: configure, script, inspect and assert; reset after the test."""
    session: AppleMusicSession = request.config.stash[_SESSION_KEY]
    handle = session.handle()
    marker = request.node.get_closest_marker("apple_music")
    if marker is not None:
        if marker.args:
            raise pytest.UsageError("@pytest.mark.apple_music takes keyword settings only")
        from mockserver import ConfigError

        try:
            handle.configure(**marker.kwargs)
        except ConfigError as error:
            raise pytest.UsageError(f"@pytest.mark.apple_music: {error}") from None
    request.node.stash[_HANDLE_KEY] = handle
    yield handle
    handle.reset()


@pytest.fixture
def apple_music_app(apple_music: AppleMusicMock, request: pytest.FixtureRequest) -> MockApp:
    """The in-process ASGI app (shared by the session, reset for every test)."""
    return request.config.stash[_SESSION_KEY].app


@pytest.fixture
def apple_music_server(apple_music: AppleMusicMock, request: pytest.FixtureRequest) -> Any:
    """The fake on a real port: ``.url`` (a uvicorn server on 127.0.0.1 started once per
    session, or the external server)."""
    from types import SimpleNamespace

    session: AppleMusicSession = request.config.stash[_SESSION_KEY]
    return SimpleNamespace(url=session.server_url)


@pytest.fixture
def apple_music_respx(
    apple_music: AppleMusicMock, request: pytest.FixtureRequest
) -> Iterator[AppleMusicRespx]:
    """Routes https://api.music.apple.com/v1/me/library... (and the web player's host) to the
    fake through respx: httpx clients with hard-coded URLs work, sync and async."""
    with request.config.stash[_SESSION_KEY].respx() as mocked:
        yield mocked


@pytest.fixture
def developer_token(apple_music: AppleMusicMock) -> str:
    """A developer token the fake trusts."""
    return apple_music.developer_token


@pytest.fixture
def music_user_token(apple_music: AppleMusicMock) -> str:
    """This test's own Music-User-Token (its namespace on a shared server)."""
    return apple_music.user_token


@pytest.fixture
def apple_music_tokens(request: pytest.FixtureRequest) -> TokenFactory:
    """Factories for valid and broken tokens: expired, wrong_alg, wrong_origin, revoked, ..."""
    session: AppleMusicSession = request.config.stash[_SESSION_KEY]
    return session.tokens


# --- reporting -----------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    if call.when != "call":
        return
    handle = item.stash.get(_HANDLE_KEY, None)
    if handle is None:
        return
    report: pytest.TestReport = outcome.get_result()
    session: AppleMusicSession = item.config.stash[_SESSION_KEY]
    if report.passed and session.strict and not handle.expects_violations:
        violations = handle.contract_violations()
        if violations:
            from .handle import explain

            report.outcome = "failed"
            lines = [
                f"--apple-music-strict: the client sent {len(violations)} request(s) the real Apple Music API would refuse:"
            ]
            lines += [explain(entry) for entry in violations]
            lines.append("(call apple_music.expect_contract_violations() if the test means to)")
            report.longrepr = "\n".join(lines)
    if report.failed:
        report.sections.append(("apple-music-mock", handle.report()))
