"""apple-music-mock: an offline, contract-faithful fake of Apple Music's POST /v1/me/library."""

from __future__ import annotations

from .app import ENDPOINT, MockApp, create_app
from .auth import MAX_TOKEN_LIFETIME, redact
from .client import AdminClient, AdminError
from .clock import Clock, ManualClock, MockClock, SystemClock
from .config import Settings, load_config
from .controller import MockController
from .errors import AppleError, ConfigError, MockServerError
from .faults import TransportFault
from .journal import Journal, JournalEntry, fingerprint
from .library import LibraryItem, LibraryStore
from .query import RESOURCE_TYPES, decode_query
from .rules import Action, Match, Rule
from .schemas import load_schemas, schema_dir
from .server import LiveServer
from .tokens import generate_private_key, mint_developer_token, public_key_pem

__all__ = [
    "ENDPOINT",
    "MAX_TOKEN_LIFETIME",
    "RESOURCE_TYPES",
    "Action",
    "AdminClient",
    "AdminError",
    "AppleError",
    "Clock",
    "ConfigError",
    "Journal",
    "JournalEntry",
    "LibraryItem",
    "LibraryStore",
    "LiveServer",
    "ManualClock",
    "Match",
    "MockApp",
    "MockClock",
    "MockController",
    "MockServerError",
    "Rule",
    "Settings",
    "SystemClock",
    "TransportFault",
    "create_app",
    "decode_query",
    "fingerprint",
    "generate_private_key",
    "load_config",
    "load_schemas",
    "mint_developer_token",
    "public_key_pem",
    "redact",
    "schema_dir",
]
