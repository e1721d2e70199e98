"""The ``/v1/me/library`` reads a verifying client makes: the collections (alphabetical, or by
``ids``), one resource by library id, several by resource-typed ids, and recently added."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from .catalog_pages import track_page
from .config import Settings
from .errors import AppleError
from .ids import LIBRARY_KINDS, library_id
from .library import LibraryItem
from .params import Parameters
from .routing import Endpoint
from .schemas import SchemaSet
from .wire import Reply, json_reply

if TYPE_CHECKING:
    from .pipeline import Call, Pipeline

__all__ = [
    "NOT_IN_LIBRARY",
    "READ_ENDPOINTS",
    "library_items",
    "not_found",
    "page",
    "playlist_tracks",
    "read_parsers",
    "resources",
]

LIBRARY = "/v1/me/library"
_TYPES = "|".join(sorted(LIBRARY_KINDS))
#: Library resource type (``library-songs``) -> the fake's type (``songs``).
_BY_LIBRARY_TYPE = {kind.type: type_ for type_, kind in LIBRARY_KINDS.items()}


#: The journal's reason for a 404 of a well-formed library read: the id is not (yet) in the
#: user's library. The real API answers it too; it is no contract violation.
NOT_IN_LIBRARY = "not in the user's library"


def not_found(call: Call, library_type: str, id_: str) -> Reply:
    """The 404 of an id the user's library does not hold (visible, of that type)."""
    call.exchange.reason = NOT_IN_LIBRARY
    return call.fail(AppleError(404, "40400", f"No {library_type} with id '{id_[:64]}'"))


#: The pipeline attribute of each read's query parser -> the schema document it validates.
_PARSERS = {
    "read_parameters": "library-query.schema.json",
    "item_parameters": "library-item-query.schema.json",
    "typed_parameters": "library-ids-query.schema.json",
    "recent_parameters": "recently-added-query.schema.json",
    "tracks_parameters": "library-tracks-query.schema.json",
}


def read_parsers(schemas: SchemaSet, settings: Settings) -> dict[str, Parameters]:
    """The reads' query parsers (compiled once per configuration), by pipeline attribute."""
    return {name: Parameters(schemas, document, settings) for name, document in _PARSERS.items()}


def resources(
    pipeline: Pipeline, call: Call, items: Iterable[LibraryItem]
) -> list[dict[str, Any]]:
    """``items`` as library resources, with the catalog's attributes (and with
    ``include=catalog``, the catalog resource in the user's storefront)."""
    parsed = call.parsed
    include = isinstance(parsed, Mapping) and "catalog" in str(parsed.get("include")).split(",")
    policy = pipeline.policy
    catalog = policy.catalog if policy.catalog.listed else None
    storefront = policy.storefront_of(call.user_token)
    return [
        item.to_resource(include_catalog=include, catalog=catalog, storefront=storefront)
        for item in items
    ]


def playlist_tracks(
    pipeline: Pipeline, user: str, playlist: LibraryItem, now: float
) -> list[LibraryItem]:
    """A library playlist's visible tracks, in order: of a created playlist, those added to
    it; of one added from the catalog, the catalog playlist's tracks the user's storefront
    has, as the library songs (and music videos) they are: the library reads answer their
    ids too (:func:`library_items`) [guess: catalog-playlist-library-tracks]."""
    if not playlist.catalog_id:
        return pipeline.library.playlist_tracks(user, playlist.library_id, now)
    policy = pipeline.policy
    found = policy.catalog.tracks("playlists", playlist.catalog_id, policy.storefront_of(user))
    return [
        LibraryItem(
            track["type"],
            track["id"],
            library_id(LIBRARY_KINDS[track["type"]].prefix, user, track["type"], track["id"]),
            playlist.added_at,
            playlist.visible_at,
        )
        for track in found
        if track["type"] in LIBRARY_KINDS
    ]


def library_items(
    pipeline: Pipeline, user: str, now: float, type_: str | None = None
) -> list[LibraryItem]:
    """The user's visible items (of ``type_``) in the order added: those the library holds,
    then the tracks of the playlists added from the catalog it does not hold itself (each
    once, added when its playlist was)."""
    if type_ not in (None, "songs", "music-videos"):
        return pipeline.library.items(user, type_, now=now)
    every = pipeline.library.items(user, now=now)  # one read of the library
    items = [item for item in every if type_ is None or item.type == type_]
    held = {item.library_id for item in items}
    for playlist in every:
        if playlist.type != "playlists" or not playlist.catalog_id:
            continue
        for track in playlist_tracks(pipeline, user, playlist, now):
            if (type_ is None or track.type == type_) and track.library_id not in held:
                held.add(track.library_id)
                items.append(track)
    return items


def page(
    pipeline: Pipeline,
    call: Call,
    items: list[LibraryItem],
    path: str,
    default_limit: int,
    each: Callable[[LibraryItem, dict[str, Any]], None] | None = None,
) -> Reply:
    """A page of ``items`` (``limit``, ``offset``) with ``meta.total`` and a ``next`` link that
    keeps the query's other parameters; ``each``, when given, completes each item's
    resource."""
    parsed = call.parsed
    limit, offset = parsed["limit"], parsed["offset"]
    window = items[offset : offset + limit]
    data = resources(pipeline, call, window)
    if each is not None:
        for item, resource in zip(window, data, strict=True):
            each(item, resource)
    body: dict[str, Any] = {"data": data, "meta": {"total": len(items)}}
    if offset + limit < len(items):
        following = f"{path}?offset={offset + limit}"
        if limit != default_limit:
            following += f"&limit={limit}"
        for name in ("include", "l"):
            if name in parsed:
                following += f"&{name}={parsed[name]}"
        body["next"] = following
    return json_reply(200, body)


def collection(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/me/library/{type}``: the user's visible items in alphabetical order (by
    name) [doc], paged; with ``ids``, those of them that exist, in the order asked."""
    type_ = call.params["type"]
    parsed = call.parsed
    items = library_items(pipeline, call.user_token or "", call.exchange.time, type_)
    ids = parsed.get("ids")
    if ids is not None:
        by_id = {item.library_id: item for item in items}
        found = [by_id[i] for i in dict.fromkeys(ids.split(",")) if i in by_id]
        return json_reply(200, {"data": resources(pipeline, call, found)})
    catalog = pipeline.policy.catalog
    items.sort(
        key=lambda item: (catalog.name_of(type_, item.catalog_id) or item.name, item.library_id)
    )
    each: Callable[[LibraryItem, dict[str, Any]], None] | None = None
    if type_ == "playlists" and "tracks" in str(parsed.get("include")).split(","):
        each = partial(_with_tracks, pipeline, call)  # as the single read [guess]
    return page(pipeline, call, items, f"{LIBRARY}/{type_}", 25, each)


def one(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/me/library/{type}/{id}``: ``{"data": [resource]}``, or 404 for an id the user
    does not have (another user's included)."""
    type_, id_ = call.params["type"], call.params["id"]
    user, now = call.user_token or "", call.exchange.time
    item = pipeline.library.find(user, type_, id_, now=now)
    if item is None:  # a track of a playlist added from the catalog, maybe
        found = (i for i in library_items(pipeline, user, now, type_) if i.library_id == id_)
        item = next(found, None)
    if item is None:
        return not_found(call, LIBRARY_KINDS[type_].type, id_)
    [resource] = resources(pipeline, call, [item])
    if type_ == "playlists" and "tracks" in str(call.parsed.get("include")).split(","):
        _with_tracks(pipeline, call, item, resource)
    return json_reply(200, {"data": [resource]})


def _with_tracks(
    pipeline: Pipeline, call: Call, playlist: LibraryItem, resource: dict[str, Any]
) -> None:
    """``include=tracks``: the library playlist's tracks in order under
    ``relationships.tracks``, the first :data:`~.catalog_pages.TRACK_PAGE`, then ``next``."""
    tracks = playlist_tracks(pipeline, call.user_token or "", playlist, call.exchange.time)
    href = f"{LIBRARY}/playlists/{playlist.library_id}/tracks"
    related = track_page(href, tracks, 0, language=call.parsed.get("l"))
    related["data"] = resources(pipeline, call, related["data"])
    resource.setdefault("relationships", {})["tracks"] = {"href": href, **related}


def typed(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/me/library?ids[library-songs]=…``: the user's items with those ids, type by
    type in the order asked; unknown ids are left out."""
    parsed = call.parsed
    wanted = [(key[4:-1], value) for key, value in parsed.items() if key.startswith("ids[")]
    if not wanted:
        detail = "At least one 'ids[library-TYPE]' parameter is required"
        return call.fail(AppleError(400, "40005", detail, "ids"))
    items = library_items(pipeline, call.user_token or "", call.exchange.time)
    found: list[LibraryItem] = []
    for library_type, ids in wanted:
        type_ = _BY_LIBRARY_TYPE.get(library_type)
        by_id = {item.library_id: item for item in items if item.type == type_}
        found += [by_id[i] for i in dict.fromkeys(ids.split(",")) if i in by_id]
    return json_reply(200, {"data": resources(pipeline, call, found)})


def recently_added(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/me/library/recently-added``: every visible item, newest first, paged."""
    items = library_items(pipeline, call.user_token or "", call.exchange.time)
    items.reverse()  # insertion order is add order; a stable sort keeps it among equals
    items.sort(key=lambda item: item.added_at, reverse=True)
    return page(pipeline, call, items, f"{LIBRARY}/recently-added", 10)


READ_ENDPOINTS = (
    Endpoint("getLibraryResourcesByIds", "GET", LIBRARY, "typed_parameters", typed),
    Endpoint(
        "getRecentlyAddedResources",
        "GET",
        f"{LIBRARY}/recently-added",
        "recent_parameters",
        recently_added,
    ),
    Endpoint(
        "getLibraryResources",
        "GET",
        f"{LIBRARY}/{{type:{_TYPES}}}",
        "read_parameters",
        collection,
    ),
    Endpoint(
        "getLibraryResource",
        "GET",
        f"{LIBRARY}/{{type:{_TYPES}}}/{{id}}",
        "item_parameters",
        one,
    ),
)
