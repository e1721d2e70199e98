"""apple-music-mock: an offline, contract-faithful fake of Apple Music's POST /v1/me/library."""

from __future__ import annotations

from .app import ENDPOINT, create_app
from .auth import MAX_TOKEN_LIFETIME, redact
from .clock import Clock, ManualClock, SystemClock
from .config import Settings, load_config
from .errors import AppleError, ConfigError, MockServerError
from .query import RESOURCE_TYPES, decode_query
from .schemas import load_schemas, schema_dir
from .server import LiveServer
from .tokens import generate_private_key, mint_developer_token, public_key_pem

__all__ = [
    "ENDPOINT",
    "MAX_TOKEN_LIFETIME",
    "RESOURCE_TYPES",
    "AppleError",
    "Clock",
    "ConfigError",
    "LiveServer",
    "ManualClock",
    "MockServerError",
    "Settings",
    "SystemClock",
    "create_app",
    "decode_query",
    "generate_private_key",
    "load_config",
    "load_schemas",
    "mint_developer_token",
    "public_key_pem",
    "redact",
    "schema_dir",
]
