"""pytest plugin and Hypothesis strategies for apple-music-mock.

Importing this package imports neither Hypothesis nor respx: the respx route loads on first
use, and the strategies live in :mod:`pytest_plugin.strategies`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .handle import AppleMusicAssertionError, AppleMusicMock, explain
from .tokens import TokenFactory

if TYPE_CHECKING:
    from .respx_route import APPLE_HOSTS, AppleMusicRespx

__all__ = [
    "APPLE_HOSTS",
    "AppleMusicAssertionError",
    "AppleMusicMock",
    "AppleMusicRespx",
    "TokenFactory",
    "explain",
]


def __getattr__(name: str) -> Any:
    if name in ("APPLE_HOSTS", "AppleMusicRespx"):
        from . import respx_route

        return getattr(respx_route, name)
    raise AttributeError(f"module 'pytest_plugin' has no attribute {name!r}")
