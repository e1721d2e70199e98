"""The ``/v1/me/library`` endpoints: add resources (``POST``) and read them back (``reads``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .catalog_reads import CATALOG_ENDPOINTS, catalog_parsers
from .config import Settings
from .errors import AppleError
from .library import LibraryFull
from .params import Parameters
from .playlists import PLAYLIST_ENDPOINTS
from .reads import READ_ENDPOINTS, read_parsers
from .routing import Endpoint
from .schemas import SchemaSet
from .storefronts import STOREFRONT_ENDPOINTS, storefront_parsers
from .wire import Reply

if TYPE_CHECKING:
    from .pipeline import Call, Pipeline

__all__ = ["ENDPOINT", "LIBRARY_ENDPOINTS", "endpoint_parsers"]

ENDPOINT = "/v1/me/library"


def add(pipeline: Pipeline, call: Call) -> Reply:
    """``POST /v1/me/library``: ids that can be added are added; the answer is an empty 202."""
    parsed = call.parsed
    exchange = call.exchange
    settings = pipeline.settings
    if pipeline.open_catalog:  # the usual case: every id kept, nothing to decide per id
        now = exchange.time
        try:
            pipeline.library.add_all(
                call.user_token or "",
                parsed.addable,
                now,
                now + pipeline.visibility_delay,
                settings.max_users,
                settings.max_library_items,
            )
        except LibraryFull as full:
            return call.fail(AppleError(507, "50700", str(full)))
        exchange.added = parsed.addable
        exchange.added_all = parsed.addable is parsed.ids
        exchange.ignored = parsed.ignored
        return pipeline.accepted
    try:
        result = pipeline.library.add(
            call.user_token or "",
            parsed.addable,
            exchange.time,
            policy=pipeline.policy,
            visibility_delay=pipeline.visibility_delay,
            max_users=settings.max_users,
            max_items=settings.max_library_items,
        )
    except LibraryFull as full:
        return call.fail(AppleError(507, "50700", str(full)))
    exchange.added = result.added
    exchange.added_all = result.added is parsed.ids
    exchange.dropped = result.dropped or None
    exchange.ignored = parsed.ignored + result.ignored if result.ignored else parsed.ignored
    return pipeline.accepted


LIBRARY_ENDPOINTS = (
    Endpoint("addResourceToLibrary", "POST", ENDPOINT, "queries", add),
    *READ_ENDPOINTS,
    *PLAYLIST_ENDPOINTS,
    *CATALOG_ENDPOINTS,
    *STOREFRONT_ENDPOINTS,
)


def endpoint_parsers(schemas: SchemaSet, settings: Settings) -> dict[str, Parameters]:
    """The query parsers of the reads and lookups, by the pipeline attribute their endpoints
    name (the add's own parser, :class:`~mockserver.query.QueryParser`, aside)."""
    return {
        **read_parsers(schemas, settings),
        **catalog_parsers(schemas, settings),
        **storefront_parsers(schemas, settings),
    }
