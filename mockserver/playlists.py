"""Library playlists the client edits: Create a New Library Playlist (``POST
/v1/me/library/playlists``, 201), Add Tracks to a Library Playlist (``POST …/{id}/tracks``,
204) and the tracks read back (``GET …/{id}/tracks``). Bodies are validated by
``schemas/library-playlist-*.schema.json``; a failure is a 400 naming ``source.pointer``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import ValidationError

from .catalog_pages import TRACK_PAGE
from .errors import AppleError
from .ids import LIBRARY_KINDS, library_id
from .library import LibraryFull
from .params import clip
from .reads import not_found, page, playlist_tracks, resources
from .routing import Endpoint
from .schemas import load_schemas
from .wire import Reply, empty_reply, json_reply

if TYPE_CHECKING:
    from .pipeline import Call, Pipeline

__all__ = ["PLAYLIST_ENDPOINTS", "BodyParser"]

PLAYLISTS = "/v1/me/library/playlists"
#: Track types a playlist takes -> the library type their items have.
_CATALOG_TRACKS = {"songs": "songs", "music-videos": "music-videos"}
_LIBRARY_TRACKS = {"library-songs": "songs", "library-music-videos": "music-videos"}


def _pointer(error: ValidationError) -> str:
    parts = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        required: Sequence[str] = error.validator_value  # type: ignore[assignment]
        missing = [name for name in required if name not in error.instance]
        parts += missing[:1]
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


class BodyParser:
    """A request body: JSON text -> the document, or the Apple error (``source.pointer``)."""

    def __init__(self, document: str) -> None:
        self.validator = load_schemas().validator(document)

    def parse(self, raw: bytes) -> Any:
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return AppleError(400, "40000", "Request body is not valid JSON", pointer="")
        error = next(self.validator.iter_errors(document), None)  # the first, in body order
        if error is None:
            return document
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        annotation = schema.get("x-apple", {})
        detail = str(annotation.get("detail") or clip(error.message, 200))
        return AppleError(
            400, str(annotation.get("code", "40005")), detail, pointer=_pointer(error)
        )


_CREATE = BodyParser("library-playlist-create.schema.json")
_TRACKS = BodyParser("library-playlist-tracks.schema.json")


def _add_tracks(
    pipeline: Pipeline, call: Call, tracks: Sequence[Mapping[str, str]]
) -> tuple[list[str], dict[str, list[str]]]:
    """The tracks' library ids, in order; catalog ones are added to the library first as the
    add would (the catalog, drop and visibility settings apply). Raises LibraryFull."""
    user = call.user_token or ""
    catalog: dict[str, list[str]] = {}
    ids: list[str] = []
    for track in tracks:
        type_ = _CATALOG_TRACKS.get(track["type"])
        if type_ is None:
            ids.append(track["id"])
            continue
        catalog.setdefault(type_, []).append(track["id"])
        ids.append(library_id(LIBRARY_KINDS[type_].prefix, user, type_, track["id"]))
    added: dict[str, list[str]] = {}
    if catalog:
        settings = pipeline.settings
        result = pipeline.library.add(
            user,
            catalog,
            call.exchange.time,
            policy=pipeline.policy,
            visibility_delay=pipeline.visibility_delay,
            max_users=settings.max_users,
            max_items=settings.max_library_items,
        )
        added = {type_: list(values) for type_, values in result.added.items()}
        call.exchange.ignored = result.ignored
        call.exchange.dropped = result.dropped or None
    for track in tracks:
        if track["type"] in _LIBRARY_TRACKS:
            added.setdefault(track["type"], []).append(track["id"])
    return ids, added


def create(pipeline: Pipeline, call: Call) -> Reply:
    """201 with the created ``library-playlists`` resource."""
    body = _CREATE.parse(call.body)
    if isinstance(body, AppleError):
        return call.fail(body)
    attributes = body["attributes"]
    tracks = body.get("relationships", {}).get("tracks", {}).get("data", [])
    library, settings = pipeline.library, pipeline.settings
    user, now = call.user_token or "", call.exchange.time
    try:
        ids, added = _add_tracks(pipeline, call, tracks)
        item = library.create_playlist(
            user,
            attributes["name"],
            attributes.get("description"),
            now,
            visibility_delay=pipeline.visibility_delay,
            max_items=settings.max_library_items,
        )
        library.append_tracks(user, item.library_id, ids, max_items=settings.max_library_items)
    except LibraryFull as full:
        return call.fail(AppleError(507, "50700", str(full)))
    call.exchange.added = {"library-playlists": [item.library_id], **added}
    return json_reply(201, {"data": resources(pipeline, call, [item])})


def add_tracks(pipeline: Pipeline, call: Call) -> Reply:
    """204, the tracks appended; 404 for a playlist the user does not have."""
    playlist = call.params["id"]
    user = call.user_token or ""
    library, limit = pipeline.library, pipeline.settings.max_library_items
    editable = library.append_tracks(user, playlist, ())
    if editable is None:
        return not_found(call, "library-playlists", playlist)
    if not editable:
        detail = f"Library playlist '{playlist}' was added from the catalog and cannot be edited"
        return call.fail(AppleError(403, "40300", detail))
    body = _TRACKS.parse(call.body)
    if isinstance(body, AppleError):
        return call.fail(body)
    try:
        ids, added = _add_tracks(pipeline, call, body["data"])
        library.append_tracks(user, playlist, ids, max_items=limit)
    except LibraryFull as full:
        return call.fail(AppleError(507, "50700", str(full)))
    call.exchange.added = {"library-playlists": [playlist], **added}
    return empty_reply(204, content_type=False)


def tracks(pipeline: Pipeline, call: Call) -> Reply:
    """A page of the playlist's visible tracks, in playlist order (:func:`.reads.playlist_tracks`)."""
    playlist = call.params["id"]
    user, now = call.user_token or "", call.exchange.time
    item = pipeline.library.find(user, "playlists", playlist, now=now)
    if item is None:
        return not_found(call, "library-playlists", playlist)
    items = playlist_tracks(pipeline, user, item, now)
    return page(pipeline, call, items, f"{PLAYLISTS}/{playlist}/tracks", TRACK_PAGE)


PLAYLIST_ENDPOINTS = (
    Endpoint(
        "createLibraryPlaylist", "POST", PLAYLISTS, "item_parameters", create, reads_body=True
    ),
    Endpoint(
        "addTracksToLibraryPlaylist",
        "POST",
        f"{PLAYLISTS}/{{id}}/tracks",
        "item_parameters",
        add_tracks,
        reads_body=True,
    ),
    Endpoint(
        "getLibraryPlaylistTracks",
        "GET",
        f"{PLAYLISTS}/{{id}}/tracks",
        "tracks_parameters",
        tracks,
    ),
)
