"""The fake for a whole pytest session (per xdist worker): in process, on a live port, or an
external server; importable and usable without pytest."""

from __future__ import annotations

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
    ) -> None:
        self.url = url.rstrip("/") if url else None
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
            from mockserver import AdminClient

            self._admin = AdminClient(self.url)
            if not self._admin.health():
                raise SessionError(
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
