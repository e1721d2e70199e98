"""``catalogs()``: documents the schema and the fake accept, whose every song the lookups
find (by ISRC, by its exact name) where it is available."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from jsonschema import Draft202012Validator

from mockserver import create_app, mint_developer_token
from mockserver.ids import IdShapes
from mockserver.schemas import schema_dir
from pytest_plugin.strategies import catalogs

from support import call_asgi

SCHEMA = Draft202012Validator(
    json.loads((schema_dir() / "catalog.schema.json").read_text(encoding="utf-8"))
)
SHAPES = IdShapes()
ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")
APP = create_app()
HEADERS = [(b"authorization", f"Bearer {mint_developer_token(lifetime=24 * 3600)}".encode())]
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def get(path: str, **params: str) -> Any:
    reply = call_asgi(APP, "GET", f"{path}?{urlencode(params)}", HEADERS)
    assert reply.status == 200, reply.body
    return reply.json()


def where(item: dict[str, Any]) -> list[str] | None:
    storefronts: list[str] | None = item.get("x-apple-music-mock", {}).get("storefronts")
    return storefronts


@FAST
@given(catalogs(max_songs=30, storefronts=["us", "gb", "jp"]))
def test_documents_follow_the_schema_and_hang_together(doc: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in SCHEMA.iter_errors(doc)]
    assert not errors, errors
    songs, albums, artists = doc["songs"], doc["albums"], doc["artists"]
    assert 1 <= len(songs) <= 30
    for type_, items in (("songs", songs), ("albums", albums), ("artists", artists)):
        ids = [item["id"] for item in items]
        assert len(set(ids)) == len(ids), type_
        assert all(SHAPES.is_catalog("songs", id_) for id_ in ids), ids
        assert all(item["type"] == type_ for item in items)
    assert len({s["attributes"]["isrc"] for s in songs}) == len(songs)
    album_ids, artist_ids = {a["id"] for a in albums}, {a["id"] for a in artists}
    for item in songs:
        attributes = item["attributes"]
        assert ISRC.fullmatch(attributes["isrc"]), attributes["isrc"]
        for name in (attributes["name"], attributes["artistName"], attributes["albumName"]):
            assert name, attributes
            assert name == name.strip(), name
            assert "  " not in name, name
        [album] = item["relationships"]["albums"]["data"]
        assert album["id"] in album_ids, album
        assert album["type"] == "albums", album
        assert item["relationships"]["artists"]["data"][0]["id"] in artist_ids
        assert where(item) is None or set(where(item) or ()) <= {"us", "gb", "jp"}
    for album in albums:
        tracks = [t["id"] for t in album["relationships"]["tracks"]["data"]]
        assert tracks, album  # every album listed is one a song is on
        assert album["attributes"]["trackCount"] == len(tracks)
        on_it = [s for s in songs if s["relationships"]["albums"]["data"][0]["id"] == album["id"]]
        assert [s["id"] for s in on_it] == tracks
        assert [s["attributes"]["trackNumber"] for s in on_it] == list(range(1, len(on_it) + 1))
        assert {s["attributes"]["albumName"] for s in on_it} == {album["attributes"]["name"]}


@FAST
@given(catalogs(max_songs=30, storefronts=["us", "gb"]))
def test_the_fake_takes_them_and_finds_every_song_by_isrc_and_by_name(doc: dict[str, Any]) -> None:
    APP.mock.configure(catalog=doc)  # raises ConfigError on a document the fake refuses
    for song in doc["songs"]:
        attributes = song["attributes"]
        storefront = (where(song) or ["us"])[0]
        found = get(f"/v1/catalog/{storefront}/songs", **{"filter[isrc]": attributes["isrc"]})
        assert [s["id"] for s in found["data"]] == [song["id"]]
        search = get(
            f"/v1/catalog/{storefront}/search", term=attributes["name"], types="songs", limit="25"
        )
        assert search["results"]["songs"]["data"][0]["id"] == song["id"], attributes["name"]
        for elsewhere in {"us", "gb"} - set(where(song) or ["us", "gb"]):
            missing = get(f"/v1/catalog/{elsewhere}/songs", **{"filter[isrc]": attributes["isrc"]})
            assert missing["data"] == []


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogs(min_songs=25, max_songs=25))
def test_one_isrc_lookup_of_25_finds_them_all(doc: dict[str, Any]) -> None:
    APP.mock.configure(catalog=doc)
    isrcs = ",".join(s["attributes"]["isrc"] for s in doc["songs"])
    found = get("/v1/catalog/us/songs", **{"filter[isrc]": isrcs})
    assert [s["id"] for s in found["data"]] == [s["id"] for s in doc["songs"]]


@FAST
@given(catalogs(max_songs=6, storefronts=["us", "gb"], min_playlists=1, max_playlists=3))
def test_playlists_list_the_catalogs_songs_and_are_served_with_them(doc: dict[str, Any]) -> None:
    assert 1 <= len(doc["playlists"]) <= 3
    SCHEMA.validate(doc)
    APP.mock.configure(catalog=doc)
    songs = {s["id"]: s for s in doc["songs"]}
    names = [" ".join(p["attributes"]["name"].casefold().split()) for p in doc["playlists"]]
    assert len(set(names)) == len(names)
    for playlist in doc["playlists"]:
        assert re.fullmatch(r"pl\.[0-9a-f]{32}", playlist["id"])
        listed = [t["id"] for t in playlist["relationships"]["tracks"]["data"]]
        assert listed
        assert len(set(listed)) == len(listed)
        assert set(listed) <= set(songs)
        storefront = (where(playlist) or ["us"])[0]
        served = get(f"/v1/catalog/{storefront}/playlists/{playlist['id']}")["data"][0]
        available = [i for i in listed if storefront in (where(songs[i]) or [storefront])]
        tracks = served["relationships"]["tracks"]["data"]
        assert [t["id"] for t in tracks] == available
        assert all("attributes" in t for t in tracks)


def test_without_storefronts_everything_is_available_everywhere() -> None:
    @settings(max_examples=30, deadline=None)
    @given(catalogs(max_songs=10))
    def check(doc: dict[str, Any]) -> None:
        items = doc["songs"] + doc["albums"] + doc.get("playlists", [])
        assert all(where(item) is None for item in items)

    check()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_songs": 0},
        {"min_songs": True},
        {"max_songs": 0},
        {"min_songs": 3, "max_songs": 2},
        {"max_songs": 2.5},
        {"storefronts": "us"},
        {"storefronts": ["US"]},
        {"storefronts": ["usa"]},
        {"storefronts": ["us\n"]},
        {"min_playlists": -1},
        {"max_playlists": True},
        {"min_playlists": 2, "max_playlists": 1},
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        catalogs(**kwargs)


@given(st.data())
@settings(max_examples=5, deadline=None)
def test_strategies_compose(data: st.DataObject) -> None:
    min_songs = data.draw(st.integers(1, 5))
    doc = data.draw(catalogs(min_songs=min_songs, max_songs=min_songs))
    assert len(doc["songs"]) == min_songs
