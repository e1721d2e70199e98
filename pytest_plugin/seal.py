"""The seal on Apple's hosts: while a test uses the fake, no client reaches the real Apple
Music API, whichever library it uses.

httpx clients are answered by the fake through :mod:`pytest_plugin.respx_route`. Any other
client (requests, aiohttp, urllib, a subprocess-free SDK) that resolves an Apple Music API
host name while the seal is on gets a resolver error that says what to do instead, and the
attempt is noted for the test's failure report: the test's tokens never leave the machine.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar

__all__ = ["APPLE_HOSTS", "SEALED_MESSAGE", "AppleHostSeal"]

#: The API host and the web player's host.
APPLE_HOSTS = frozenset({"api.music.apple.com", "amp-api.music.apple.com"})

SEALED_MESSAGE = (
    "apple-music-mock: {host} is sealed during this test (nothing may reach the real Apple "
    "Music API); use the apple_music_respx fixture for httpx clients, or point the client at "
    "apple_music_server.url"
)


class _Patch:
    """The one replacement of ``socket.getaddrinfo``, shared by every active seal."""

    lock: ClassVar[threading.Lock] = threading.Lock()
    active: ClassVar[list[AppleHostSeal]] = []
    original: ClassVar[Callable[..., Any] | None] = None

    @classmethod
    def resolve(cls, host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if isinstance(name, str) and name.rstrip(".").lower() in APPLE_HOSTS:
            for seal in list(cls.active):
                seal.attempts.append(name)
            raise socket.gaierror(socket.EAI_NONAME, SEALED_MESSAGE.format(host=name))
        assert cls.original is not None
        return cls.original(host, *args, **kwargs)


class AppleHostSeal:
    """Refuse name resolution of Apple's hosts while active (a context manager; nested and
    concurrent seals share one patch). ``attempts`` lists the host names refused while this
    seal was on.

    >>> with AppleHostSeal() as seal:
    ...     try:
    ...         socket.getaddrinfo("api.music.apple.com", 443)
    ...     except socket.gaierror:
    ...         pass
    >>> seal.attempts
    ['api.music.apple.com']
    """

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def __enter__(self) -> AppleHostSeal:
        with _Patch.lock:
            if not _Patch.active:
                _Patch.original = socket.getaddrinfo
                socket.getaddrinfo = _Patch.resolve
            _Patch.active.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with _Patch.lock:
            if self in _Patch.active:
                _Patch.active.remove(self)
            if not _Patch.active and _Patch.original is not None:
                socket.getaddrinfo = _Patch.original
                _Patch.original = None
