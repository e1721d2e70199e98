"""The catalog the fake knows: Apple's resource objects per type, where each is available,
and the indexes the lookups use (by id, by ISRC, by the words of name and artist).

A catalog document (``schemas/catalog.schema.json``) lists, per type, Apple's own resource
objects as catalog endpoints return them, or plain ids; the fake's own additions live under
the one extension key ``x-apple-music-mock``. Built once per configuration; read-only after.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .schemas import schema_dir

__all__ = ["CATALOG_TYPES", "EXTENSION", "Catalog", "merge", "read_catalog"]

#: The fake's own key, in a catalog document and in each of its resources.
EXTENSION = "x-apple-music-mock"
#: The catalog resource types the fake serves.
CATALOG_TYPES = ("songs", "albums", "music-videos", "playlists", "artists")

#: A made-up name for an item known only by its id, per type: "Song 1564531202".
_NAME_PREFIX = {
    "songs": "Song",
    "albums": "Album",
    "music-videos": "Music Video",
    "playlists": "Playlist",
    "artists": "Artist",
}
_KIND = {"songs": "song", "albums": "album", "music-videos": "musicVideo", "playlists": "playlist"}
#: Attributes a library resource carries over from its catalog resource (Apple's library
#: song, album, music video and playlist attributes).
_LIBRARY_ATTRIBUTES = (
    "name",
    "artistName",
    "albumName",
    "durationInMillis",
    "trackNumber",
    "discNumber",
    "genreNames",
    "releaseDate",
    "artwork",
    "contentRating",
    "hasLyrics",
    "trackCount",
    "description",
)
_WORD = re.compile(r"\w+")


class _SearchIndex:
    """One type's items by the words of their name, artist and album (case-folded): a sorted
    vocabulary, so the words starting with a search word are one bisection away, and for
    each word the set of items that have it."""

    def __init__(self, entries: Iterable[tuple[str, str, str]]) -> None:
        self.ids: list[str] = []
        self.names: list[str] = []
        postings: dict[str, set[int]] = {}
        for index, (id_, name, text) in enumerate(entries):
            self.ids.append(id_)
            self.names.append(" ".join(words(name)))
            for word in words(text):
                postings.setdefault(word, set()).add(index)
        self.vocabulary = sorted(postings)
        self.postings = [postings[word] for word in self.vocabulary]

    def _starting_with(self, prefix: str) -> set[int]:
        vocabulary = self.vocabulary
        low = bisect.bisect_left(vocabulary, prefix)
        high = bisect.bisect_left(vocabulary, prefix + "\U0010ffff", low)
        if high - low == 1:
            return self.postings[low]
        return set().union(*self.postings[low:high])

    def find(self, query: list[str]) -> list[int]:
        """Indexes of the items with, for every query word, a word starting with it; in
        catalog order."""
        if not query:
            return []
        found: set[int] | None = None
        for word in sorted(set(query), key=len, reverse=True):  # the longest: fewest items
            items = self._starting_with(word)
            found = set(items) if found is None else found & items
            if not found:
                return []
        return sorted(found or ())


def words(text: str) -> list[str]:
    """The case-folded words of ``text`` (letters and digits; punctuation separates)."""
    return _WORD.findall(text.casefold())


class Catalog:
    """A catalog document, indexed. ``Catalog(None)`` is the open catalog: it lists nothing
    and every well-shaped id is addable."""

    def __init__(self, document: Mapping[str, Any] | None) -> None:
        self.document = document
        extension = (document or {}).get(EXTENSION, {})
        #: Whether an add of an id the catalog does not list is added (open, or a demo).
        self.adds_unknown = document is None or extension.get("unknown_ids") == "add"
        self._items: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in CATALOG_TYPES}
        self._where: dict[tuple[str, str], frozenset[str]] = {}
        self._isrc: dict[str, list[tuple[str, str]]] = {}
        self._upc: dict[str, list[str]] = {}
        for type_ in CATALOG_TYPES:
            for entry in (document or {}).get(type_, ()):
                resource = _resource(type_, entry)
                id_ = resource["id"]
                own = resource.pop(EXTENSION, None) or {}
                if "library" in resource.get("relationships", {}):  # per user: never the catalog's
                    resource["relationships"] = {
                        k: v for k, v in resource["relationships"].items() if k != "library"
                    }
                if "storefronts" in own:
                    self._where[(type_, id_)] = frozenset(own["storefronts"])
                self._items[type_][id_] = resource
                isrc = resource["attributes"].get("isrc")
                if isrc and type_ in ("songs", "music-videos"):
                    self._isrc.setdefault(isrc.upper(), []).append((type_, id_))
                upc = resource["attributes"].get("upc")
                if upc and type_ == "albums":
                    self._upc.setdefault(str(upc), []).append(id_)
        self._search: dict[str, _SearchIndex] = {}
        self._search_lock = threading.Lock()

    def __len__(self) -> int:
        return sum(map(len, self._items.values()))

    @property
    def listed(self) -> bool:
        """Whether the catalog lists anything (an open catalog lists nothing)."""
        return self.document is not None

    def has(self, type_: str, id_: str) -> bool:
        return id_ in self._items.get(type_, ())

    def available(self, type_: str, id_: str, storefront: str) -> bool:
        """Whether a listed item is available in ``storefront`` (everywhere unless the
        document says where)."""
        where = self._where.get((type_, id_))
        return where is None or storefront in where

    def get(self, type_: str, id_: str, storefront: str) -> dict[str, Any] | None:
        """The resource as the catalog endpoints of ``storefront`` serve it, or None when it
        is not listed or not available there."""
        resource = self._items.get(type_, {}).get(id_)
        if resource is None or not self.available(type_, id_, storefront):
            return None
        served = {"id": id_, "type": type_, "href": f"/v1/catalog/{storefront}/{type_}/{id_}"}
        served.update((k, v) for k, v in resource.items() if k not in served)
        return served

    def by_isrc(self, type_: str, isrc: str, storefront: str) -> list[dict[str, Any]]:
        """The items of ``type_`` with that ISRC available in ``storefront`` (case-insensitive,
        as ISRCs are upper case)."""
        found = []
        for item_type, id_ in self._isrc.get(isrc.upper(), ()):
            if item_type == type_:
                resource = self.get(type_, id_, storefront)
                if resource is not None:
                    found.append(resource)
        return found

    def equivalents(self, type_: str, id_: str, storefront: str) -> list[dict[str, Any]]:
        """What ``filter[equivalents]`` finds for ``id_`` in ``storefront``: the item itself
        when it is available there, else the items of its type available there with its ISRC
        (songs, music videos) or UPC (albums) [guess for how Apple matches]."""
        own = self.get(type_, id_, storefront)
        if own is not None:
            return [own]
        resource = self._items.get(type_, {}).get(id_)
        if resource is None:
            return []
        attributes = resource["attributes"]
        if type_ == "albums":
            others = self._upc.get(str(attributes.get("upc", "")), [])
            found = [self.get(type_, other, storefront) for other in others]
            return [item for item in found if item is not None]
        return self.by_isrc(type_, str(attributes.get("isrc", "")), storefront)

    def tracks(self, type_: str, id_: str, storefront: str) -> list[dict[str, Any]]:
        """An album's or playlist's tracks (its ``relationships.tracks``) as the catalog
        endpoints of ``storefront`` serve them, in order: those listed and available there."""
        resource = self._items.get(type_, {}).get(id_)
        refs = (resource or {}).get("relationships", {}).get("tracks", {}).get("data") or ()
        found = (
            self.get(str(ref.get("type", "songs")), str(ref["id"]), storefront) for ref in refs
        )
        return [track for track in found if track is not None]

    def search(
        self, type_: str, term: str, storefront: str, *, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[dict[str, Any]]]:
        """Items of ``type_`` with, for every word of ``term``, a word of their name, artist
        or album starting with it (case-insensitive), available in ``storefront``: how many,
        and those from ``offset`` (``limit`` of them). An exact name comes first, then names
        starting with the term, then the rest, each in catalog order."""
        if type_ not in self._items:  # a type the web player asks for that the fake has not
            return 0, []
        index = self._index(type_)
        query = words(term)
        phrase = " ".join(query)
        names, ids, where = index.names, index.ids, self._where
        ranked = sorted(
            (0 if names[i] == phrase else 1 if names[i].startswith(phrase) else 2, i)
            for i in index.find(query)
            if not where or self.available(type_, ids[i], storefront)
        )
        end = len(ranked) if limit is None else offset + limit
        page = [self.get(type_, ids[i], storefront) for _, i in ranked[offset:end]]
        return len(ranked), [resource for resource in page if resource is not None]

    def _index(self, type_: str) -> _SearchIndex:
        index = self._search.get(type_)
        if index is None:
            with self._search_lock:  # built on first search: most catalogs are never searched
                index = self._search.get(type_)
                if index is None:
                    index = self._search[type_] = _SearchIndex(
                        (id_, str(r["attributes"].get("name", "")), _search_text(r))
                        for id_, r in self._items[type_].items()
                    )
        return index

    def album_of(self, song_id: str) -> str | None:
        """The album of a listed song (its ``relationships.albums``), or None."""
        song = self._items["songs"].get(song_id)
        if song is None:
            return None
        albums = song.get("relationships", {}).get("albums", {}).get("data") or ()
        album = albums[0] if albums else None
        if album is None or album.get("type", "albums") != "albums":
            return None
        return str(album["id"])

    def name_of(self, type_: str, id_: str) -> str | None:
        resource = self._items.get(type_, {}).get(id_)
        return None if resource is None else resource["attributes"].get("name")

    def library_attributes(self, type_: str, id_: str) -> dict[str, Any]:
        """What a library copy of the item shows of it (name, artist, album, duration, …)."""
        resource = self._items.get(type_, {}).get(id_)
        if resource is None:
            return {}
        attributes = resource["attributes"]
        return {name: attributes[name] for name in _LIBRARY_ATTRIBUTES if name in attributes}

    def to_document(self) -> dict[str, Any]:
        """The catalog as a document (what ``GET /_mock/catalog`` answers)."""
        document: dict[str, Any] = json.loads(json.dumps(self.document or {}))  # plain copies
        return document


def merge(base: Mapping[str, Any] | None, patch: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``patch``'s resources added, replacing those of the same type and id
    (``PATCH /_mock/catalog``); the extension's settings are merged key by key."""
    merged: dict[str, Any] = {
        key: list(value) for key, value in (base or {}).items() if key != EXTENSION
    }
    extension = {**(base or {}).get(EXTENSION, {}), **patch.get(EXTENSION, {})}
    if extension:
        merged[EXTENSION] = extension
    for type_ in CATALOG_TYPES:
        if type_ not in patch:
            continue
        entries = {_entry_id(entry): entry for entry in merged.get(type_, ())}
        for entry in patch[type_]:
            entries[_entry_id(entry)] = entry
        merged[type_] = list(entries.values())
    return merged


def _entry_id(entry: Any) -> str:
    return entry if isinstance(entry, str) else str(entry["id"])


def _resource(type_: str, entry: Any) -> dict[str, Any]:
    """A document entry as a resource: an id alone gets a made-up name; a resource object is
    copied, with its type and (for playable types) ``playParams`` filled in."""
    if isinstance(entry, str):
        resource: dict[str, Any] = {
            "id": entry,
            "type": type_,
            "attributes": {"name": f"{_NAME_PREFIX[type_]} {entry}"},
        }
    else:
        resource = dict(entry)  # nested values are shared, never changed: read-only
        resource["id"] = str(resource["id"])
        resource["type"] = type_
        resource["attributes"] = dict(resource.get("attributes") or {})
        resource["attributes"].setdefault("name", f"{_NAME_PREFIX[type_]} {resource['id']}")
    kind = _KIND.get(type_)
    if kind is not None:
        resource["attributes"].setdefault("playParams", {"id": resource["id"], "kind": kind})
    return resource


def _search_text(resource: Mapping[str, Any]) -> str:
    attributes = resource["attributes"]
    return " ".join(
        str(attributes[name])
        for name in ("name", "artistName", "albumName", "curatorName")
        if attributes.get(name)
    )


def read_catalog(source: str | Path) -> Any:
    """A catalog document from a JSON file, or the built-in demo catalog for ``"demo"`` (a
    dozen made-up items by "The Offline Band", ``schemas/catalogs/demo.json``; any other
    well-shaped id is still added, as in an open catalog). Checked when it becomes a
    setting."""
    path = schema_dir() / "catalogs" / "demo.json" if str(source) == "demo" else Path(source)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read catalog file {str(path)!r}: {error.strerror}") from None
    except ValueError as error:
        raise ConfigError(f"catalog file {str(path)!r} is not valid JSON: {error}") from None
