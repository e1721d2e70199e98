"""pytest plugin and Hypothesis strategies for apple-music-mock.

Importing this package imports nothing heavy (the pytest plugin loads it in every run of
every project that has the kit installed): the classes below load on first use, and the
strategies live in :mod:`pytest_plugin.strategies`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .handle import AppleMusicMock
    from .report import AppleMusicAssertionError, explain
    from .respx_route import APPLE_HOSTS, AppleMusicRespx
    from .session import AppleMusicServer, AppleMusicSession
    from .tokens import TokenFactory

__all__ = [
    "APPLE_HOSTS",
    "AppleMusicAssertionError",
    "AppleMusicMock",
    "AppleMusicRespx",
    "AppleMusicServer",
    "AppleMusicSession",
    "TokenFactory",
    "explain",
]

_HOMES = {
    "APPLE_HOSTS": "respx_route",
    "AppleMusicAssertionError": "report",
    "AppleMusicMock": "handle",
    "AppleMusicRespx": "respx_route",
    "AppleMusicServer": "session",
    "AppleMusicSession": "session",
    "TokenFactory": "tokens",
    "explain": "report",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'pytest_plugin' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
