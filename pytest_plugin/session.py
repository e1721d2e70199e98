"""The fake for a whole pytest session (per xdist worker): in process, on a live port, or an
external server; importable and usable without pytest."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from mockserver import LiveServer, MockApp, MockControl

    from .handle import AppleMusicMock
    from .respx_route import AppleMusicRespx
    from .tokens import TokenFactory

__all__ = ["AppleMusicServer", "AppleMusicSession", "SessionError"]


class SessionError(RuntimeError):
    """The session's fake cannot be used as asked (the plugin reports it as a usage error)."""


@dataclass(frozen=True)
class AppleMusicServer:
    """The fake on a real port (what ``apple_music_server`` gives a test)."""

    url: str
    """Base URL, e.g. ``http://127.0.0.1:54321``: point any client at it."""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80


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
        admin_token: str | None = None,
    ) -> None:
        self.url = url.rstrip("/") if url else None
        self.admin_token = admin_token
        self.strict = strict
        self.config_file = config_file
        self.worker = worker
        self._tokens: TokenFactory | None = None
        self._app: MockApp | None = None
        self._server: LiveServer | None = None
        self._admin: MockControl | None = None

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
            raise SessionError(
                "apple_music_app is not available with --apple-music-url (the fake runs elsewhere)"
            )
        if self._app is None:
            from mockserver import Settings, create_app, load_config

            settings = load_config(self.config_file) if self.config_file else Settings()
            keys = [*settings.developer_keys, self.tokens.public_key_pem]
            self._app = create_app(settings.replace(developer_keys=keys))
        return self._app

    @property
    def server(self) -> AppleMusicServer:
        """The fake on a real port: a uvicorn server on loopback started on first use, or
        the external server."""
        return AppleMusicServer(self.server_url)

    @property
    def server_url(self) -> str:
        if self.url is not None:
            return self.url
        if self._server is None:
            from mockserver import LiveServer

            self._server = LiveServer(self.app).start()
        return self._server.url

    @property
    def control(self) -> MockControl:
        if self.url is None:
            return self.app.mock
        if self._admin is None:
            from mockserver import AdminClient, AdminError

            admin = AdminClient(self.url, admin_token=self.admin_token)
            try:  # the same trust as in process: the session's tokens verify there too
                admin.trust_developer_key(self.tokens.public_key_pem)
            except OSError as error:
                raise SessionError(
                    f"--apple-music-url: no apple-music-mock answers at {self.url}: {error}"
                ) from None
            except AdminError as error:
                hint = ""
                if error.status == 403 and not self.admin_token:
                    hint = (
                        " (give --apple-music-admin-token, the apple_music_admin_token ini "
                        "value or APPLE_MUSIC_MOCK_ADMIN_TOKEN)"
                    )
                raise SessionError(
                    f"--apple-music-url: the admin API at {self.url} refused the plugin: "
                    f"{error}{hint}"
                ) from None
            except (ValueError, KeyError, TypeError) as error:
                raise SessionError(
                    f"--apple-music-url: {self.url} does not answer like apple-music-mock: {error}"
                ) from None
            self._admin = admin
        return self._admin

    def check(self) -> None:
        """Fail once, at session start, on options that cannot work: an external server
        that does not answer or refuses the admin token, a settings file that is invalid."""
        if self.url is not None:
            self.control  # noqa: B018  # connects, checks health, registers the session key
        elif self.config_file is not None:
            from mockserver import ConfigError, load_config

            try:
                load_config(self.config_file)
            except ConfigError as error:
                raise SessionError(f"--apple-music-config: {error}") from None

    @contextmanager
    def fresh(self) -> Iterator[AppleMusicMock]:
        """A handle with a state of its own for one block: for Hypothesis, one per example
        (``@given`` tests take no function-scoped fixture, so the health check passes)::

            @given(ids=id_groups())
            def test_adds(apple_music_session, ids):
                with apple_music_session.fresh() as mock, apple_music_session.respx():
                    ...
        """
        handle = self.handle()
        try:
            yield handle
        finally:
            handle.reset()

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
