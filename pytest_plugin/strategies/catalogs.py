"""Catalog documents (``schemas/catalog.schema.json``): artists, their albums and the songs on
them, as Apple's catalog endpoints return them."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from datetime import date
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.catalog import EXTENSION, words

from .ids import catalog_ids

__all__ = ["catalogs"]

#: Letters and digits only (accents included), so every word is a word the search indexes.
_LETTERS = string.ascii_letters + string.digits + "éèüñøåçßÉÜÑ"
_GENRES = ("Pop", "Rock", "Alternative", "Electronic", "Jazz", "Hip-Hop/Rap", "Country")
_STOREFRONT = re.compile(r"[a-z]{2}")  # the schema's $defs/storefront (full match)
_UPPER = string.ascii_uppercase


def _names(max_words: int) -> st.SearchStrategy[str]:
    """Readable names: 1 to ``max_words`` words of letters and digits, one space apart."""
    word = st.text(_LETTERS, min_size=1, max_size=8)
    return st.lists(word, min_size=1, max_size=max_words).map(" ".join)


def _isrcs() -> st.SearchStrategy[str]:
    """ISRCs without dashes: country (2 letters), registrant (3 alphanumerics), 7 digits."""
    return st.tuples(
        st.text(_UPPER, min_size=2, max_size=2),
        st.text(_UPPER + string.digits, min_size=3, max_size=3),
        st.integers(0, 9_999_999),
    ).map(lambda parts: f"{parts[0]}{parts[1]}{parts[2]:07d}")


def _key(name: str) -> str:
    """Names that the search cannot tell apart share this key (case-folded words)."""
    return " ".join(words(name))


def _slug(name: str) -> str:
    return "-".join(words(name))


def _where(storefronts: Sequence[str] | None) -> st.SearchStrategy[list[str] | None]:
    """Where an item is available: everywhere (``None``, shrunk to) or a few storefronts."""
    if not storefronts:
        return st.none()
    some = st.lists(st.sampled_from(list(storefronts)), min_size=1, unique=True).map(sorted)
    return st.one_of(st.none(), some)


def _ref(id_: str, type_: str) -> dict[str, Any]:
    return {"data": [{"id": id_, "type": type_}]}


#: How many artists and albums a document may have; a song's album and an album's artist are
#: drawn as an index below these (modulo how many there are), so every part is built once.
_MAX_ARTISTS, _MAX_ALBUMS = 3, 4


#: A playlist: its id, name, curator, which songs (indexes, modulo how many there are, each
#: once) and where it is available.
_Playlist = tuple[str, str, str, list[int], list[str] | None]


@st.composite
def _documents(
    draw: st.DrawFn,
    artists_: st.SearchStrategy[list[tuple[str, str]]],
    albums_: st.SearchStrategy[list[tuple[str, str, int, date, str, list[str] | None]]],
    songs_: st.SearchStrategy[list[tuple[str, str, str, int, int, list[str] | None]]],
    playlists_: st.SearchStrategy[list[_Playlist]],
) -> dict[str, Any]:
    artists, albums, songs = draw(artists_), draw(albums_), draw(songs_)
    song_docs: list[dict[str, Any]] = []
    tracks: dict[int, list[str]] = {}
    for song_id, name, isrc, album_index, duration, where in songs:
        album_index %= len(albums)
        album_id, album_name, artist_index, released, genre, _ = albums[album_index]
        artist_id, artist_name = artists[artist_index % len(artists)]
        tracks.setdefault(album_index, []).append(song_id)
        song: dict[str, Any] = {
            "id": song_id,
            "type": "songs",
            "attributes": {
                "name": name,
                "artistName": artist_name,
                "albumName": album_name,
                "isrc": isrc,
                "durationInMillis": duration,
                "trackNumber": len(tracks[album_index]),
                "discNumber": 1,
                "releaseDate": released.isoformat(),
                "genreNames": [genre, "Music"],
                "url": f"https://music.apple.com/us/album/{_slug(album_name)}/{album_id}?i={song_id}",
            },
            "relationships": {
                "albums": _ref(album_id, "albums"),
                "artists": _ref(artist_id, "artists"),
            },
        }
        if where is not None:
            song[EXTENSION] = {"storefronts": where}
        song_docs.append(song)
    album_docs: list[dict[str, Any]] = []
    used_artists: dict[int, None] = {}
    for index, (album_id, name, artist_index, released, genre, where) in enumerate(albums):
        if index not in tracks:
            continue  # every album listed is one a song relates to
        artist_index %= len(artists)
        used_artists[artist_index] = None
        album: dict[str, Any] = {
            "id": album_id,
            "type": "albums",
            "attributes": {
                "name": name,
                "artistName": artists[artist_index][1],
                "trackCount": len(tracks[index]),
                "releaseDate": released.isoformat(),
                "genreNames": [genre, "Music"],
                "url": f"https://music.apple.com/us/album/{_slug(name)}/{album_id}",
            },
            "relationships": {
                "artists": _ref(artists[artist_index][0], "artists"),
                "tracks": {"data": [{"id": id_, "type": "songs"} for id_ in tracks[index]]},
            },
        }
        if where is not None:
            album[EXTENSION] = {"storefronts": where}
        album_docs.append(album)
    artist_docs = [
        {
            "id": artists[index][0],
            "type": "artists",
            "attributes": {
                "name": artists[index][1],
                "url": f"https://music.apple.com/us/artist/{_slug(artists[index][1])}/{artists[index][0]}",
            },
        }
        for index in used_artists
    ]
    document = {"songs": song_docs, "albums": album_docs, "artists": artist_docs}
    playlists = [_playlist(entry, song_docs) for entry in draw(playlists_)]
    if playlists:
        document["playlists"] = playlists
    return document


def _playlist(entry: _Playlist, songs: list[dict[str, Any]]) -> dict[str, Any]:
    """A catalog playlist as Apple serves it: its songs (references) under
    ``relationships.tracks``, in the drawn order."""
    id_, name, curator, picks, where = entry
    tracks = [songs[index % len(songs)]["id"] for index in picks]
    playlist: dict[str, Any] = {
        "id": id_,
        "type": "playlists",
        "attributes": {
            "name": name,
            "curatorName": curator,
            "description": {"standard": f"{name}, by {curator}"},
            "playlistType": "editorial",
            "url": f"https://music.apple.com/us/playlist/{_slug(name)}/{id_}",
        },
        "relationships": {
            "tracks": {"data": [{"id": t, "type": "songs"} for t in dict.fromkeys(tracks)]}
        },
    }
    if where is not None:
        playlist[EXTENSION] = {"storefronts": where}
    return playlist


def catalogs(
    *,
    min_songs: int = 1,
    max_songs: int = 20,
    storefronts: Sequence[str] | None = None,
    min_playlists: int = 0,
    max_playlists: int = 2,
) -> st.SearchStrategy[dict[str, Any]]:
    """Catalog documents for the setting ``catalog``: ``min_songs`` to ``max_songs`` songs
    on one to four albums by one to three artists, each listed under ``albums`` and
    ``artists`` and related to from the song (``relationships.albums``, ``.artists``).

    Songs have unique digit ids (``catalog_ids("songs")``), unique ISRCs (``CCXXXYYNNNNN``:
    2 letters, 3 letters or digits, 7 digits), and readable names of letters and digits,
    one space between words, unique as the search sees them (case-folded word by word), so
    a search for a song's exact name answers it first; ``albumName``, ``artistName``,
    duration, track number, release date, genres and ``url`` as Apple gives them. With
    ``storefronts`` (two-letter codes), a song or album may be available in only some of
    them (``x-apple-music-mock.storefronts``); otherwise everything is available
    everywhere. ``min_playlists`` to ``max_playlists`` catalog playlists (``pl.`` + 32 hex,
    unique names, a curator) list some of the songs, in any order, each once, under
    ``relationships.tracks``; with ``storefronts`` a playlist too may be available in only
    some. Shrinks to one song on one album by one artist, available everywhere, and
    ``min_playlists`` playlists of that song.

    Up to two playlists are drawn by default (0.1.0 drew none): the documents drawn for a
    seed changed since; ``max_playlists=0`` gives catalogs without playlists, as before.
    """
    if not isinstance(min_songs, int) or isinstance(min_songs, bool) or min_songs < 1:
        raise InvalidArgument(f"min_songs={min_songs!r} must be an integer >= 1")
    if not isinstance(max_songs, int) or isinstance(max_songs, bool) or max_songs < min_songs:
        raise InvalidArgument(f"max_songs={max_songs!r} must be an integer >= min_songs")
    for name, value in (("min_playlists", min_playlists), ("max_playlists", max_playlists)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidArgument(f"{name}={value!r} must be an integer >= 0")
    if max_playlists < min_playlists:
        raise InvalidArgument(f"max_playlists={max_playlists!r} must be >= min_playlists")
    if storefronts is not None:
        if isinstance(storefronts, str) or not all(
            isinstance(code, str) and _STOREFRONT.fullmatch(code) for code in storefronts
        ):
            raise InvalidArgument(
                f"storefronts={storefronts!r} must be a sequence of two-letter lower-case codes"
            )
        storefronts = list(dict.fromkeys(storefronts))
    artists = st.lists(
        st.tuples(catalog_ids("albums"), _names(3)),
        min_size=1,
        max_size=_MAX_ARTISTS,
        unique_by=(lambda a: a[0], lambda a: _key(a[1])),
    )
    albums = st.lists(
        st.tuples(
            catalog_ids("albums"),
            _names(4),
            st.integers(0, _MAX_ARTISTS - 1),
            st.dates(date(1950, 1, 1), date(2025, 12, 31)),
            st.sampled_from(_GENRES),
            _where(storefronts),
        ),
        min_size=1,
        max_size=_MAX_ALBUMS,
        unique_by=lambda a: a[0],
    )
    songs = st.lists(
        st.tuples(
            catalog_ids("songs"),
            _names(4),
            _isrcs(),
            st.integers(0, _MAX_ALBUMS - 1),
            st.integers(30_000, 600_000),
            _where(storefronts),
        ),
        min_size=min_songs,
        max_size=max_songs,
        unique_by=(lambda s: s[0], lambda s: _key(s[1]), lambda s: s[2]),
    )
    playlists = st.lists(
        st.tuples(
            st.text("0123456789abcdef", min_size=32, max_size=32).map("pl.".__add__),
            _names(4),
            _names(2),
            st.lists(st.integers(0, max_songs - 1), min_size=1, max_size=max_songs),
            _where(storefronts),
        ),
        min_size=min_playlists,
        max_size=max_playlists,
        unique_by=(lambda p: p[0], lambda p: _key(p[1])),
    )
    return _documents(artists, albums, songs, playlists)
