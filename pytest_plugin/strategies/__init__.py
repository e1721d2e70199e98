"""Hypothesis strategies: ids and id groups, requests in every wire form, library playlist
bodies, catalog documents, tokens, behaviours.

Everything here is built from the JSON Schemas in ``schemas/`` (id shapes, query rules) so
generated data is exactly what the fake accepts or refuses. Importing this package
registers nothing global. Examples shrink towards one resource type with one short id, no
extra parameters, and no misbehaviour.
"""

from __future__ import annotations

from ..extras import missing_extra

try:
    import hypothesis  # noqa: F401  # checked first: one clear error instead of a deep one
except ImportError as _error:
    raise missing_extra(_error, "pytest_plugin.strategies") from None

from .behaviours import Behaviour, behaviours
from .catalogs import catalogs
from .ids import catalog_ids, id_groups, library_ids, malformed_ids
from .playlists import LibraryPlaylistRequest, library_playlist_requests
from .queries import (
    ENCODINGS,
    InvalidQuery,
    LibraryAddQuery,
    invalid_library_add_queries,
    language_tags,
    library_add_queries,
    storefronts,
)
from .tokens import developer_tokens, invalid_developer_tokens, music_user_tokens

__all__ = [
    "ENCODINGS",
    "Behaviour",
    "InvalidQuery",
    "LibraryAddQuery",
    "LibraryPlaylistRequest",
    "behaviours",
    "catalog_ids",
    "catalogs",
    "developer_tokens",
    "id_groups",
    "invalid_developer_tokens",
    "invalid_library_add_queries",
    "language_tags",
    "library_add_queries",
    "library_ids",
    "library_playlist_requests",
    "malformed_ids",
    "music_user_tokens",
    "storefronts",
]
