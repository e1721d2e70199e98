"""Build a fake's catalog one item at a time, through any control surface: in process,
over HTTP or from the pytest handle (``apple_music.catalog.add_song(...)``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .catalog import EXTENSION
from .control import CatalogDocument, MockControl

__all__ = ["CatalogEditor"]


def _resource(
    id_: str,
    attributes: Mapping[str, Any],
    relationships: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    storefronts: Iterable[str] | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "id": str(id_),
        "attributes": {name: value for name, value in attributes.items() if value is not None},
    }
    related = {
        name: {"data": [{"id": rid, "type": rtype} for rid, rtype in refs]}
        for name, refs in (relationships or {}).items()
        if refs
    }
    if related:
        resource["relationships"] = related
    if storefronts is not None:
        resource[EXTENSION] = {"storefronts": sorted(set(storefronts))}
    return resource


class CatalogEditor:
    """Adds Apple resource objects to a fake's catalog (``PATCH``: an item with the same type
    and id is replaced). Each method returns the resource it added.

    >>> from mockserver import create_app
    >>> editor = CatalogEditor(create_app().mock)
    >>> editor.add_song("1564531202", "Blinding Lights", artist="The Weeknd")["attributes"]
    {'name': 'Blinding Lights', 'artistName': 'The Weeknd'}
    """

    def __init__(self, control: MockControl, *, namespace: str | None = None) -> None:
        self.control = control
        self.namespace = namespace

    def document(self) -> CatalogDocument | None:
        """The catalog in force (None: the open catalog, which lists nothing)."""
        return self.control.get_catalog(self.namespace)

    def add(self, type_: str, resource: Mapping[str, Any]) -> dict[str, Any]:
        """Add one resource object of ``type_`` (Apple's shape: ``id``, ``attributes``, …)."""
        self.control.patch_catalog({type_: [dict(resource)]}, namespace=self.namespace)
        return dict(resource)

    def add_song(
        self,
        id: str,
        name: str,
        *,
        artist: str | None = None,
        album: str | None = None,
        album_id: str | None = None,
        isrc: str | None = None,
        duration_ms: int | None = None,
        track_number: int | None = None,
        release_date: str | None = None,
        genres: Sequence[str] | None = None,
        storefronts: Iterable[str] | None = None,
        **attributes: Any,
    ) -> dict[str, Any]:
        """A catalog song; with ``album_id`` it belongs to that album (added too, named
        ``album``, when the catalog does not list it yet), which an add brings along."""
        fields = {
            "name": name,
            "artistName": artist,
            "albumName": album,
            "isrc": isrc,
            "durationInMillis": duration_ms,
            "trackNumber": track_number,
            "releaseDate": release_date,
            "genreNames": list(genres) if genres is not None else None,
            **attributes,
        }
        albums = [(str(album_id), "albums")] if album_id is not None else []
        song = _resource(id, fields, {"albums": albums}, storefronts)
        patch: dict[str, list[dict[str, Any]]] = {"songs": [song]}
        if album_id is not None and not self._lists("albums", str(album_id)):
            album_fields = {"name": album or f"Album {album_id}", "artistName": artist}
            tracks = [(str(id), "songs")]
            patch["albums"] = [_resource(str(album_id), album_fields, {"tracks": tracks})]
        self.control.patch_catalog(patch, namespace=self.namespace)
        return song

    def add_album(
        self,
        id: str,
        name: str,
        *,
        artist: str | None = None,
        tracks: Sequence[str] = (),
        storefronts: Iterable[str] | None = None,
        **attributes: Any,
    ) -> dict[str, Any]:
        """A catalog album with its tracks (ids of songs, listed or not)."""
        fields = {"name": name, "artistName": artist, "trackCount": len(tracks) or None}
        related = {"tracks": [(str(track), "songs") for track in tracks]}
        return self.add("albums", _resource(id, {**fields, **attributes}, related, storefronts))

    def add_music_video(
        self,
        id: str,
        name: str,
        *,
        artist: str | None = None,
        isrc: str | None = None,
        storefronts: Iterable[str] | None = None,
        **attributes: Any,
    ) -> dict[str, Any]:
        fields = {"name": name, "artistName": artist, "isrc": isrc, **attributes}
        return self.add("music-videos", _resource(id, fields, None, storefronts))

    def add_playlist(
        self,
        id: str,
        name: str,
        *,
        curator: str | None = None,
        storefronts: Iterable[str] | None = None,
        **attributes: Any,
    ) -> dict[str, Any]:
        fields = {"name": name, "curatorName": curator, **attributes}
        return self.add("playlists", _resource(id, fields, None, storefronts))

    def add_artist(self, id: str, name: str, **attributes: Any) -> dict[str, Any]:
        return self.add("artists", _resource(id, {"name": name, **attributes}))

    def _lists(self, type_: str, id_: str) -> bool:
        document = self.document() or {}
        return any(
            (entry if isinstance(entry, str) else str(entry.get("id"))) == id_
            for entry in document.get(type_, ())
        )
