"""The catalog model (mockserver/catalog.py), its validation in the settings, and the add
policy it drives (mockserver/policy.py): unknown and unavailable ids, a song's album."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import ConfigError, MockApp, Settings, create_app
from mockserver.catalog import Catalog, merge, words

from support import AsgiCaller

EXT = "x-apple-music-mock"
HELLO: dict[str, Any] = {
    "id": "1",
    "type": "songs",
    "attributes": {
        "name": "Hello",
        "artistName": "Adele",
        "albumName": "25",
        "isrc": "GBBKS1500214",
        "durationInMillis": 295502,
    },
    "relationships": {"albums": {"data": [{"id": "10", "type": "albums"}]}},
    EXT: {"storefronts": ["us", "gb"]},
}
DOCUMENT: dict[str, Any] = {
    "songs": [
        HELLO,
        {"id": "2", "attributes": {"name": "Say Hello", "artistName": "Rosie Thomas"}},
        {"id": "3", "attributes": {"name": "Hello World", "artistName": "Lady A"}},
        {
            "id": "4",
            "attributes": {"name": "HELLO", "artistName": "Other"},
            EXT: {"storefronts": ["jp"]},
        },
        {
            "id": "5",
            "attributes": {"name": "Skyfall", "albumName": "Hello Again", "isrc": "gbbks1200001"},
        },
        "6",
    ],
    "albums": [{"id": "10", "attributes": {"name": "25", "artistName": "Adele"}}, "11"],
    "music-videos": [
        {"id": "20", "attributes": {"name": "Hello (Video)", "isrc": "GBBKS1500214"}}
    ],
    "playlists": ["pl.abc"],
    "artists": ["100"],
}

Make = Callable[..., tuple[MockApp, AsgiCaller]]


@pytest.fixture
def make(dev_token: str) -> Make:
    def factory(**overrides: Any) -> tuple[MockApp, AsgiCaller]:
        app = create_app(**overrides)
        return app, AsgiCaller(app, {"Authorization": f"Bearer {dev_token}"})

    return factory


# --- the model -------------------------------------------------------------------------------


def test_indexes_by_type_and_id() -> None:
    catalog = Catalog(DOCUMENT)
    assert len(catalog) == 11
    assert catalog.listed
    assert not catalog.adds_unknown
    assert catalog.has("songs", "1")
    assert catalog.has("playlists", "pl.abc")
    assert not catalog.has("albums", "1")  # ids are per type
    assert not catalog.has("curators", "1")
    assert catalog.album_of("1") == "10"
    assert catalog.album_of("2") is None
    assert catalog.album_of("999") is None
    assert catalog.name_of("songs", "2") == "Say Hello"
    assert catalog.name_of("songs", "999") is None


def test_get_serves_the_resource_with_its_storefront_href() -> None:
    catalog = Catalog(DOCUMENT)
    served = catalog.get("songs", "1", "gb")
    assert served is not None
    assert list(served)[:3] == ["id", "type", "href"]
    assert served["href"] == "/v1/catalog/gb/songs/1"
    assert served["attributes"]["playParams"] == {"id": "1", "kind": "song"}
    assert served["relationships"] == HELLO["relationships"]
    assert EXT not in served  # the fake's own key is never served
    assert catalog.get("songs", "1", "jp") is None  # listed, not available there
    assert catalog.get("songs", "999", "us") is None
    assert DOCUMENT["songs"][0] is HELLO
    assert EXT in HELLO


def test_availability_is_everywhere_unless_the_document_says_where() -> None:
    catalog = Catalog(DOCUMENT)
    assert catalog.available("songs", "1", "us")
    assert catalog.available("songs", "1", "gb")
    assert not catalog.available("songs", "1", "jp")
    assert catalog.available("songs", "2", "jp")
    assert catalog.available("songs", "6", "fr")
    assert catalog.available("songs", "4", "jp")
    assert not catalog.available("songs", "4", "us")


def test_plain_ids_get_made_up_names_and_play_params() -> None:
    catalog = Catalog(DOCUMENT)
    expected = {
        ("songs", "6"): ("Song 6", {"id": "6", "kind": "song"}),
        ("albums", "11"): ("Album 11", {"id": "11", "kind": "album"}),
        ("playlists", "pl.abc"): ("Playlist pl.abc", {"id": "pl.abc", "kind": "playlist"}),
    }
    for (type_, id_), (name, play) in expected.items():
        served = catalog.get(type_, id_, "us")
        assert served is not None
        assert served["type"] == type_
        assert served["attributes"] == {"name": name, "playParams": play}
    artist = catalog.get("artists", "100", "us")
    assert artist is not None
    assert artist["attributes"] == {"name": "Artist 100"}
    video = catalog.get("music-videos", "20", "us")
    assert video is not None
    assert video["attributes"]["playParams"]["kind"] == "musicVideo"
    nameless = Catalog({"songs": [{"id": 7, "attributes": {"artistName": "X"}}]})
    assert nameless.name_of("songs", "7") == "Song 7"  # an integer id becomes a string


def test_isrc_lookup_is_case_insensitive_per_type_and_storefront() -> None:
    catalog = Catalog(DOCUMENT)
    assert [r["id"] for r in catalog.by_isrc("songs", "gbbks1500214", "us")] == ["1"]
    assert [r["id"] for r in catalog.by_isrc("music-videos", "GBBKS1500214", "us")] == ["20"]
    assert [r["id"] for r in catalog.by_isrc("songs", "GBBKS1200001", "us")] == ["5"]
    assert catalog.by_isrc("songs", "GBBKS1500214", "jp") == []
    assert catalog.by_isrc("songs", "XX0000000000", "us") == []


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [str(resource["id"]) for resource in found]


def search(catalog: Catalog, type_: str, term: str, storefront: str) -> list[dict[str, Any]]:
    total, page = catalog.search(type_, term, storefront)
    assert total == len(page)
    return page


def test_search_ranks_exact_then_prefix_then_the_rest() -> None:
    catalog = Catalog(DOCUMENT)
    # "1" exact, "3" starts with the term, "2" and "5" (album) contain it; "4" is jp only
    assert ids(search(catalog, "songs", "hello", "us")) == ["1", "3", "2", "5"]
    assert ids(search(catalog, "songs", "HeLLo", "jp")) == ["4", "3", "2", "5"]
    assert ids(search(catalog, "songs", "hello adele", "us")) == ["1"]  # every word must appear
    assert ids(search(catalog, "songs", "adele lady", "us")) == []
    assert ids(search(catalog, "songs", "  world   HELLO ", "us")) == ["3"]
    assert ids(search(catalog, "albums", "adele", "us")) == ["10"]
    assert search(catalog, "songs", "   ", "us") == []
    assert search(catalog, "artists", "hello", "us") == []


def test_library_attributes_are_the_ones_a_library_copy_shows() -> None:
    catalog = Catalog(DOCUMENT)
    assert catalog.library_attributes("songs", "1") == {
        "name": "Hello",
        "artistName": "Adele",
        "albumName": "25",
        "durationInMillis": 295502,
    }
    assert catalog.library_attributes("songs", "999") == {}


def test_to_document_round_trips_and_is_a_copy() -> None:
    catalog = Catalog(DOCUMENT)
    document = catalog.to_document()
    assert document == DOCUMENT
    document["songs"].clear()
    assert catalog.to_document() == DOCUMENT
    again = Catalog(catalog.to_document())
    assert again.get("songs", "1", "gb") == catalog.get("songs", "1", "gb")
    assert Catalog(None).to_document() == {}
    assert not Catalog(None).listed
    assert Catalog(None).adds_unknown


def test_merge_replaces_by_id_and_merges_the_extension() -> None:
    base = {"songs": [HELLO, "2"], "albums": ["10"], EXT: {"unknown_ids": "ignore"}}
    replaced = {"id": "2", "attributes": {"name": "Two"}}
    merged = merge(base, {"songs": [replaced, "3"], EXT: {"unknown_ids": "add"}})
    assert merged == {
        "songs": [HELLO, replaced, "3"],
        "albums": ["10"],
        EXT: {"unknown_ids": "add"},
    }
    assert base["songs"] == [HELLO, "2"]  # the base is left alone
    assert merge(None, {"artists": ["1"]}) == {"artists": ["1"]}
    plain_over_object = merge({"songs": [HELLO]}, {"songs": ["1"]})
    assert plain_over_object == {"songs": ["1"]}
    assert Catalog(merged).name_of("songs", "2") == "Two"


WORDS = st.sampled_from(["hello", "Sky", "fall", "ADELE", "blue", "x", "ß", "İstanbul"])
ITEMS = st.lists(
    st.tuples(
        st.lists(WORDS, min_size=1, max_size=3).map(" ".join),
        st.lists(WORDS, max_size=2).map(" ".join),
        st.none() | st.lists(st.sampled_from(["us", "gb", "jp"]), max_size=2),
    ),
    max_size=12,
)


@settings(max_examples=50, deadline=None)
@given(
    items=ITEMS,
    term=st.lists(WORDS.map(str.swapcase) | WORDS, min_size=1, max_size=2).map(" ".join),
    storefront=st.sampled_from(["us", "gb", "jp"]),
)
def test_search_matches_every_word_and_only_available_items(
    items: list[tuple[str, str, list[str] | None]], term: str, storefront: str
) -> None:
    songs: list[dict[str, Any]] = []
    for n, (name, artist, where) in enumerate(items):
        song: dict[str, Any] = {"id": str(n), "attributes": {"name": name, "artistName": artist}}
        if where is not None:
            song[EXT] = {"storefronts": where}
        songs.append(song)
    catalog = Catalog({"songs": songs})
    query = words(term)
    found = search(catalog, "songs", term, storefront)

    def matches(text: str) -> bool:  # every query word starts a word of the text
        return all(any(w.startswith(q) for w in words(text)) for q in query)

    for resource in found:
        text = " ".join(resource["attributes"][k] for k in ("name", "artistName"))
        assert matches(text), (term, text)
        assert catalog.available("songs", resource["id"], storefront)
    expected = {
        str(n)
        for n, (name, artist, where) in enumerate(items)
        if matches(f"{name} {artist}") and (where is None or storefront in where)
    }
    assert set(ids(found)) == expected
    assert len(found) == len(expected)


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"songs": [{"id": "1", "attributes": {"durationInMillis": -1}}]},
            "invalid setting 'catalog'['songs'][0]['attributes']['durationInMillis']: "
            "-1 is less than the minimum of 0",
        ),
        (
            {"songs": ["1", 5]},
            "invalid setting 'catalog'['songs'][1]: must be an id (a non-empty string) "
            "or a resource object with an 'id'",
        ),
        ({"albums": [""]}, "invalid setting 'catalog'['albums'][0]: must be an id"),
        ({"songs": [{"attributes": {}}]}, "invalid setting 'catalog'['songs'][0]: must be an id"),
        ({"tracks": []}, "invalid setting 'catalog': 'tracks' is not one of"),
        (
            {"songs": [{"id": "1", "type": "albums"}]},
            "invalid setting 'catalog'['songs'][0]['type']: 'songs' was expected",
        ),
        (
            {"albums": ["1", {"id": "2", EXT: {"storefronts": ["us", "USA"]}}]},
            "invalid setting 'catalog'['albums'][1]['x-apple-music-mock']['storefronts'][1]:",
        ),
        (
            {EXT: {"unknown_ids": "maybe"}},
            "invalid setting 'catalog'['x-apple-music-mock']['unknown_ids']: 'maybe' is not one",
        ),
    ],
)
def test_an_invalid_catalog_names_the_place(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        Settings(catalog=document)


def test_a_valid_catalog_and_its_settings_are_accepted() -> None:
    configured = Settings(
        catalog=copy.deepcopy(DOCUMENT),
        storefronts=["us", "gb", "jp"],
        unknown_storefront_status=404,
        user_storefronts={"bob": "gb"},
        song_adds_album=False,
    )
    assert configured.catalog == DOCUMENT
    assert configured.user_storefronts == {"bob": "gb"}
    assert Settings.from_mapping({"catalog": {"songs": ["1"]}}).catalog == {"songs": ["1"]}
    with pytest.raises(ConfigError, match="unknown_storefront_status"):
        Settings.from_mapping({"unknown_storefront_status": 500})


# --- the add policy --------------------------------------------------------------------------


def add(caller: AsgiCaller, query: str, user: str = "alice") -> None:
    reply = caller(f"/v1/me/library?{query}", headers={"Music-User-Token": user})
    assert reply.status == 202, reply.body


def library(app: MockApp, user: str = "alice") -> dict[str, list[str]]:
    snapshot = app.mock.get_library(user)
    return {t: [i["catalog_id"] for i in items] for t, items in snapshot.items() if items}


def ignored(app: MockApp) -> list[dict[str, str]]:
    return list(app.mock.journal_entries()[-1].ignored)


def test_unknown_ids_are_ignored_and_a_song_brings_its_album(make: Make) -> None:
    app, caller = make(catalog=DOCUMENT)
    add(caller, "ids[songs]=1,999,6&ids[albums]=998")
    assert library(app) == {"songs": ["1", "6"], "albums": ["10"]}
    assert ignored(app) == [
        {"type": "songs", "id": "999", "reason": "unknown"},
        {"type": "albums", "id": "998", "reason": "unknown"},
    ]
    assert app.mock.journal_entries()[-1].added == {"songs": ["1", "6"], "albums": ["10"]}


def test_availability_follows_the_users_storefront(make: Make) -> None:
    app, caller = make(catalog=DOCUMENT, storefront="us", user_storefronts={"kenji": "jp"})
    add(caller, "ids[songs]=1,4", user="kenji")
    assert library(app, "kenji") == {"songs": ["4"]}
    assert ignored(app) == [{"type": "songs", "id": "1", "reason": "unavailable"}]
    add(caller, "ids[songs]=1,4", user="alice")  # the default storefront: us
    assert library(app, "alice") == {"songs": ["1"], "albums": ["10"]}
    assert ignored(app) == [{"type": "songs", "id": "4", "reason": "unavailable"}]


def test_an_album_unavailable_to_the_user_is_not_brought_along(make: Make) -> None:
    document = {
        "songs": [
            {"id": "1", "relationships": {"albums": {"data": [{"id": "10", "type": "albums"}]}}}
        ],
        "albums": [{"id": "10", EXT: {"storefronts": ["gb"]}}],
    }
    app, caller = make(catalog=document)
    add(caller, "ids[songs]=1&ids[albums]=10")
    assert library(app) == {"songs": ["1"]}
    assert ignored(app) == [{"type": "albums", "id": "10", "reason": "unavailable"}]


def test_song_adds_album_false_adds_the_song_alone(make: Make) -> None:
    app, caller = make(catalog=DOCUMENT, song_adds_album=False)
    add(caller, "ids[songs]=1")
    assert library(app) == {"songs": ["1"]}
    assert ignored(app) == []


def test_unknown_ids_add_keeps_unlisted_ids_but_not_unavailable_ones(make: Make) -> None:
    document = {**DOCUMENT, EXT: {"unknown_ids": "add"}}
    app, caller = make(catalog=document)
    add(caller, "ids[songs]=999,4,1")
    assert library(app) == {"songs": ["999", "1"], "albums": ["10"]}
    assert ignored(app) == [{"type": "songs", "id": "4", "reason": "unavailable"}]


def test_the_open_catalog_adds_every_well_shaped_id(make: Make) -> None:
    app, caller = make()
    add(caller, "ids[songs]=1,999&ids[albums]=5&ids[playlists]=pl.u-abc")
    assert library(app) == {"songs": ["1", "999"], "albums": ["5"], "playlists": ["pl.u-abc"]}
    assert ignored(app) == []
