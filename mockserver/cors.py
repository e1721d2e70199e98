"""Cross-origin answers, as the real API gives browsers and MusicKit JS.

Real answers carry ``access-control-allow-origin: *`` [seen, contract §6]; preflights must
succeed for browsers to call the API at all [inferred]. What a preflight answer lists
(methods, headers, max-age) is [guess]: every value is a setting (README, "Browsers").
"""

from __future__ import annotations

from .config import Settings
from .wire import Reply

__all__ = ["CorsPolicy"]

RawHeaders = list[tuple[bytes, bytes]]

_NO_HEADERS: RawHeaders = []


class CorsPolicy:
    """The CORS headers of one configuration.

    >>> policy = CorsPolicy.from_settings(Settings())
    >>> policy.headers_for(None)
    [(b'access-control-allow-origin', b'*')]
    >>> CorsPolicy.from_settings(Settings(cors_allowed_origins=["https://app.example"])).headers_for(
    ...     "https://other.example"
    ... )
    []
    """

    def __init__(
        self,
        origins: tuple[str, ...],
        *,
        methods: tuple[str, ...],
        headers: tuple[str, ...],
        expose: tuple[str, ...],
        max_age: int,
    ) -> None:
        self.enabled = bool(origins)
        self.any_origin = "*" in origins
        self.origins = frozenset(origins)
        exposed = (
            [(b"access-control-expose-headers", ", ".join(expose).encode())] if expose else []
        )
        #: Headers of every answer when any origin is allowed (None: they depend on Origin).
        self.fixed: RawHeaders | None = (
            [(b"access-control-allow-origin", b"*"), *exposed] if self.any_origin else None
        )
        self._exposed = exposed
        self._preflight = [
            (b"access-control-allow-methods", ", ".join(methods).encode("latin-1")),
            (b"access-control-allow-headers", ", ".join(headers).encode("latin-1")),
            (b"access-control-max-age", str(max_age).encode()),
        ]

    @classmethod
    def from_settings(cls, settings: Settings) -> CorsPolicy:
        return cls(
            tuple(settings.cors_allowed_origins),
            methods=tuple(settings.cors_allow_methods),
            headers=tuple(settings.cors_allow_headers),
            expose=tuple(settings.cors_expose_headers),
            max_age=settings.cors_max_age,
        )

    def headers_for(self, origin: str | None) -> RawHeaders:
        """The CORS headers of an answer to a request from ``origin``: none when CORS is off
        or the origin is not allowed."""
        if self.fixed is not None:
            return self.fixed
        if origin is None or origin not in self.origins:
            return _NO_HEADERS
        return [
            (b"access-control-allow-origin", origin.encode("latin-1")),
            (b"vary", b"Origin"),
            *self._exposed,
        ]

    def preflight(self, origin: str | None) -> Reply:
        """204 to a browser's preflight, with what it may send (no token is checked: browsers
        send preflights without credentials); :meth:`apply` adds the allow-origin header. A
        disallowed origin gets no allow headers."""
        extra = self._preflight if self.headers_for(origin) else []
        return Reply(204, [*extra, (b"content-length", b"0")], b"")

    def apply(self, reply: Reply, origin: str | None) -> Reply:
        """``reply`` with this policy's headers for ``origin``."""
        headers = self.headers_for(origin)
        if not headers:
            return reply
        return Reply(reply.status, reply.headers + headers, reply.body)
