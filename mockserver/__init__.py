"""apple-music-mock: an offline, contract-faithful fake of Apple Music API's
``POST /v1/me/library`` and the calls around it.

>>> from mockserver import create_app
>>> app = create_app(repeated_keys="reject")
>>> app.mock.settings.repeated_keys
'reject'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .app import MockApp, create_app
from .catalog_editor import CatalogEditor
from .client import AdminClient, AdminError
from .clock import ManualClock, MockClock
from .config import Settings, load_config
from .control import MockControl
from .controller import MockController
from .errors import ConfigError, MockServerError
from .faults import TransportFault
from .ids import RESOURCE_TYPES
from .journal import JournalEntry, JournalFilters
from .redaction import fingerprint
from .rules import Rule
from .tokens import generate_private_key, mint_developer_token, public_key_pem

if TYPE_CHECKING:
    from .server import LiveServer

    __version__: str


if not TYPE_CHECKING:  # (so that type checkers still catch a misspelt name)

    def __getattr__(name: str) -> Any:
        """What a first fixture use does not need, imported on first use: ``LiveServer`` (it
        brings uvicorn, about 50 ms of a cold start; an in-process test never starts a
        server) and ``__version__`` (reading the installed metadata, about 10 ms)."""
        if name == "LiveServer":
            from .server import LiveServer

            globals()["LiveServer"] = LiveServer
            return LiveServer
        if name != "__version__":
            raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
        from importlib import metadata

        try:
            version = metadata.version("apple-music-mock")
        except metadata.PackageNotFoundError:  # pragma: no cover - a source tree not installed
            version = "0+unknown"
        globals()["__version__"] = version
        return version


def __dir__() -> list[str]:
    return sorted({*globals(), "LiveServer", "__version__"})


__all__ = [
    "RESOURCE_TYPES",
    "AdminClient",
    "AdminError",
    "CatalogEditor",
    "ConfigError",
    "JournalEntry",
    "JournalFilters",
    "LiveServer",
    "ManualClock",
    "MockApp",
    "MockClock",
    "MockControl",
    "MockController",
    "MockServerError",
    "Rule",
    "Settings",
    "TransportFault",
    "create_app",
    "fingerprint",
    "generate_private_key",
    "load_config",
    "mint_developer_token",
    "public_key_pem",
]
