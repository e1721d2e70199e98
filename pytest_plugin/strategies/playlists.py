"""Bodies of the library playlist endpoints (Create a New Library Playlist, Add Tracks to a
Library Playlist), valid or broken in one known place."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .ids import catalog_ids, library_ids

__all__ = ["LibraryPlaylistRequest", "library_playlist_requests"]

Kind = Literal["create", "add-tracks"]


@dataclass(frozen=True)
class LibraryPlaylistRequest:
    """One request body: ``create`` goes to ``POST /v1/me/library/playlists``, ``add-tracks``
    to ``POST /v1/me/library/playlists/{id}/tracks``. A valid one is answered 201 / 204; an
    invalid one 400 with ``source.pointer`` equal to :attr:`pointer`."""

    kind: Kind
    body: Any
    """The JSON document, or raw bytes that are not JSON."""
    valid: bool
    pointer: str | None = None

    @property
    def content(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()

    @property
    def tracks(self) -> list[dict[str, str]]:
        """The tracks a valid body adds, in order."""
        if self.kind == "add-tracks":
            return list(self.body["data"])
        return list(self.body.get("relationships", {}).get("tracks", {}).get("data", []))


def tracks() -> st.SearchStrategy[dict[str, str]]:
    """One track of any of the four documented types, in its type's id shape."""
    return st.one_of(
        catalog_ids("songs").map(lambda i: {"id": i, "type": "songs"}),
        catalog_ids("music-videos").map(lambda i: {"id": i, "type": "music-videos"}),
        library_ids("songs").map(lambda i: {"id": i, "type": "library-songs"}),
        library_ids("music-videos").map(lambda i: {"id": i, "type": "library-music-videos"}),
    )


_NAMES = st.text(min_size=1, max_size=40)


@st.composite
def _valid(draw: st.DrawFn, kind: Kind) -> LibraryPlaylistRequest:
    if kind == "add-tracks":
        return LibraryPlaylistRequest(
            kind, {"data": draw(st.lists(tracks(), min_size=1, max_size=5))}, True
        )
    attributes: dict[str, Any] = {"name": draw(_NAMES)}
    if draw(st.booleans()):
        attributes["description"] = draw(st.text(max_size=40))
    body: dict[str, Any] = {"attributes": attributes}
    listed = draw(st.lists(tracks(), max_size=5))
    if listed:
        body["relationships"] = {"tracks": {"data": listed}}
    return LibraryPlaylistRequest(kind, body, True)


@st.composite
def _invalid(draw: st.DrawFn, kind: Kind) -> LibraryPlaylistRequest:
    valid = draw(_valid(kind))
    listed = valid.tracks
    problems = ["not-json", "not-object"]
    problems += (
        ["no-attributes", "empty-name", "name-type"] if kind == "create" else ["empty-data"]
    )
    if listed:
        problems += ["track-type", "track-id", "no-type"]
    problem = draw(st.sampled_from(problems))
    if problem == "not-json":
        return LibraryPlaylistRequest(kind, b"{" + valid.content, False, "")
    if problem == "not-object":
        return LibraryPlaylistRequest(kind, [valid.body], False, "")
    if problem == "no-attributes":
        return LibraryPlaylistRequest(kind, {"relationships": {}}, False, "/attributes")
    if problem in ("empty-name", "name-type"):
        body = {**valid.body, "attributes": {"name": "" if problem == "empty-name" else 7}}
        return LibraryPlaylistRequest(kind, body, False, "/attributes/name")
    if problem == "empty-data":
        return LibraryPlaylistRequest(kind, {"data": []}, False, "/data")
    index = draw(st.integers(0, len(listed) - 1))
    broken = [dict(track) for track in listed]
    if problem == "track-type":
        broken[index]["type"], field = "albums", "type"
    elif problem == "no-type":
        del broken[index]["type"]
        field = "type"
    else:
        catalog = broken[index]["type"] in ("songs", "music-videos")
        broken[index]["id"], field = ("x" if catalog else "1"), "id"
    if kind == "add-tracks":
        return LibraryPlaylistRequest(kind, {"data": broken}, False, f"/data/{index}/{field}")
    body = {**valid.body, "relationships": {"tracks": {"data": broken}}}
    return LibraryPlaylistRequest(kind, body, False, f"/relationships/tracks/data/{index}/{field}")


def library_playlist_requests(
    *, kind: Kind | None = None, valid: bool | None = None
) -> st.SearchStrategy[LibraryPlaylistRequest]:
    """Bodies of Create a New Library Playlist (``kind="create"``) and Add Tracks
    (``kind="add-tracks"``; ``kind=None`` draws both), valid (``valid=True``: 201 / 204),
    broken in one known place (``valid=False``: 400 whose ``source.pointer`` is ``pointer``),
    or both. ``.content`` is the bytes to send, ``.tracks`` the tracks a valid body adds.
    Shrinks to a create with a one-character name."""
    if kind not in (None, "create", "add-tracks"):
        raise InvalidArgument(f"kind={kind!r} must be 'create', 'add-tracks' or None")
    kinds: list[Kind] = [kind] if kind is not None else ["create", "add-tracks"]
    options: list[st.SearchStrategy[LibraryPlaylistRequest]] = []
    for one in kinds:
        if valid in (None, True):
            options.append(_valid(one))
        if valid in (None, False):
            options.append(_invalid(one))
    return st.one_of(options)
