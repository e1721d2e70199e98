"""Catalog answers beyond one resource (mockserver/catalog_pages.py and the lookups using it):
an album's or playlist's tracks in pages, equivalents across storefronts, the web player's
map-form search and its other parameters (``web_player_parameters``)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockserver import ConfigError, create_app
from mockserver.catalog import Catalog
from mockserver.catalog_pages import TRACK_PAGE, map_form, track_page, with_tracks

from support import AsgiCaller, assert_error

EXT = "x-apple-music-mock"
SONGS = [
    {"id": str(n), "attributes": {"name": f"Track {n}", "isrc": f"USAAA26{n:05d}"}}
    for n in range(1, 251)
]
CATALOG: dict[str, Any] = {
    "songs": [
        *SONGS,
        {
            "id": "900",
            "attributes": {"name": "Hello", "isrc": "GBAAA2600900"},
            EXT: {"storefronts": ["gb"]},
        },
        {
            "id": "901",
            "attributes": {"name": "Hello", "isrc": "GBAAA2600900"},
            EXT: {"storefronts": ["us"]},
        },
        {"id": "902", "attributes": {"name": "Hello Again"}},
        {"id": "903", "attributes": {"name": "Say Hello"}},
    ],
    "albums": [
        {
            "id": "50",
            "attributes": {"name": "Hello", "upc": "00602"},
            EXT: {"storefronts": ["gb"]},
        },
        {
            "id": "51",
            "attributes": {"name": "Hello", "upc": "00602"},
            EXT: {"storefronts": ["us"]},
        },
    ],
    "music-videos": [{"id": "70", "attributes": {"name": "Hello", "isrc": "GBAAA2600900"}}],
    "playlists": [
        {
            "id": "pl.big",
            "attributes": {"name": "Everything", "description": {"standard": "All of it"}},
            "relationships": {
                "tracks": {
                    "data": [
                        {"id": "900", "type": "songs"},
                        *({"id": s["id"], "type": "songs"} for s in SONGS),
                        {"id": "70", "type": "music-videos"},
                        {"id": "404", "type": "songs"},  # listed nowhere: left out
                    ]
                }
            },
        },
        {"id": "pl.empty", "attributes": {"name": "Nothing"}},
    ],
}


@pytest.fixture
def call(dev_token: str) -> AsgiCaller:
    app = create_app(catalog=CATALOG)
    return AsgiCaller(app, {"Authorization": f"Bearer {dev_token}"})


def ok(call: AsgiCaller, target: str) -> Any:
    reply = call(target, method="GET")
    assert reply.status == 200, (target, reply.body)
    return reply.json()


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


# --- tracks ----------------------------------------------------------------------------------


def test_the_catalog_gives_tracks_available_in_the_storefront_in_order() -> None:
    catalog = Catalog(CATALOG)
    us = catalog.tracks("playlists", "pl.big", "us")
    assert ids(us) == [s["id"] for s in SONGS] + ["70"]
    assert ids(catalog.tracks("playlists", "pl.big", "gb"))[:2] == ["900", "1"]
    assert catalog.tracks("playlists", "pl.empty", "us") == []
    assert catalog.tracks("playlists", "pl.none", "us") == []


def test_a_resource_carries_its_first_page_of_tracks() -> None:
    catalog = Catalog(CATALOG)
    resource = catalog.get("playlists", "pl.big", "gb")
    assert resource is not None
    served = with_tracks(resource, catalog, "gb")
    tracks = served["relationships"]["tracks"]
    assert len(tracks["data"]) == TRACK_PAGE
    assert tracks["data"][0]["attributes"]["name"] == "Hello"
    assert tracks["href"] == "/v1/catalog/gb/playlists/pl.big/tracks"
    assert tracks["next"] == "/v1/catalog/gb/playlists/pl.big/tracks?offset=100"
    # The catalog's own resource keeps the document's references.
    assert resource["relationships"]["tracks"]["data"][0] == {"id": "900", "type": "songs"}
    empty = catalog.get("playlists", "pl.empty", "us")
    assert empty is not None
    assert with_tracks(empty, catalog, "us") is empty
    song = catalog.get("songs", "1", "us")
    assert song is not None
    assert with_tracks(song, catalog, "us") is song


def test_track_pages_link_the_next_one_keeping_a_custom_limit() -> None:
    items = [{"id": str(n)} for n in range(5)]
    assert track_page("/t", items, 0, 2) == {"data": items[:2], "next": "/t?offset=2&limit=2"}
    assert track_page("/t", items, 4, 2) == {"data": items[4:]}
    assert "next" not in track_page("/t", items, 0, TRACK_PAGE)
    assert track_page("/t", items, 0, 2, "en-GB")["next"] == "/t?offset=2&limit=2&l=en-GB"


def test_next_track_pages_keep_the_language(call: AsgiCaller) -> None:
    """``next`` carries ``l``, as search's does: the next page in the same language."""
    base = "/v1/catalog/us/playlists/pl.big"
    page = ok(call, f"{base}/tracks?l=es-MX&limit=200")
    assert page["next"] == f"{base}/tracks?offset=200&limit=200&l=es-MX"
    assert ids(ok(call, page["next"])["data"]) == [s["id"] for s in SONGS[200:]] + ["70"]
    for target in (f"{base}?l=es-MX", "/v1/catalog/us/playlists?ids=pl.big&l=es-MX"):
        [resource] = ok(call, target)["data"]
        assert resource["relationships"]["tracks"]["next"] == f"{base}/tracks?offset=100&l=es-MX"


def test_the_tracks_relationship_read_by_name_pages_through_every_track(
    call: AsgiCaller,
) -> None:
    seen: list[str] = []
    target: str | None = "/v1/catalog/us/playlists/pl.big/tracks"
    pages = 0
    while target:
        body = ok(call, target)
        assert body["meta"] == {"total": 251}
        seen += ids(body["data"])
        target = body.get("next")
        pages += 1
    assert (pages, seen) == (3, [s["id"] for s in SONGS] + ["70"])
    small = ok(call, "/v1/catalog/us/playlists/pl.big/tracks?limit=300&offset=250")
    assert ids(small["data"]) == ["70"]
    assert "next" not in small


def test_tracks_of_what_the_storefront_lacks_or_a_bad_page_are_refused(
    call: AsgiCaller, errors_validator: Draft202012Validator
) -> None:
    for target, status, code, parameter in [
        ("/v1/catalog/us/playlists/pl.none/tracks", 404, "40400", None),
        ("/v1/catalog/us/albums/50/tracks", 404, "40400", None),  # gb only
        ("/v1/catalog/us/playlists/pl.big/tracks?limit=0", 400, "40005", "limit"),
        ("/v1/catalog/us/playlists/pl.big/tracks?offset=10000000000", 400, "40005", "offset"),
        ("/v1/catalog/us/playlists/pl.big/tracks?include=library", 400, "40004", "include"),
        ("/v1/catalog/xx/playlists/pl.big/tracks", 400, "40005", "storefront"),
    ]:
        reply = call(target, method="GET")
        assert_error(reply, errors_validator, status, code, parameter)
    assert call("/v1/catalog/us/songs/1/tracks", method="GET").status == 404  # no such route
    huge = call("/v1/catalog/us/playlists/pl.big/tracks?offset=10000000000", method="GET")
    assert huge.json()["errors"][0]["detail"] == (
        "Value of 'offset' must be an integer from 0 to 999999999"
    )


# --- equivalents -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/v1/catalog/us/songs?filter[equivalents]=900", ["901"]),  # the same ISRC in us
        ("/v1/catalog/gb/songs?filter[equivalents]=901,900", ["900"]),
        ("/v1/catalog/ru/songs?filter[equivalents]=900", []),
        ("/v1/catalog/us/songs?filter[equivalents]=1,1,404", ["1"]),
        ("/v1/catalog/us/albums?filter[equivalents]=50", ["51"]),  # the same UPC
        ("/v1/catalog/jp/albums?filter[equivalents]=50", []),
        ("/v1/catalog/us/music-videos?filter[equivalents]=70", ["70"]),
        ("/v1/catalog/us/songs?filter%5Bequivalents%5D=900", ["901"]),
    ],
)
def test_equivalents_are_what_the_paths_storefront_has(
    call: AsgiCaller, target: str, expected: list[str]
) -> None:
    body = ok(call, target)
    assert ids(body["data"]) == expected
    for resource in body["data"]:
        assert resource["href"].startswith(target[:15])


def test_equivalents_are_never_an_unknown_parameter(
    call: AsgiCaller, errors_validator: Draft202012Validator
) -> None:
    for target, code, parameter in [
        ("/v1/catalog/us/playlists?filter[equivalents]=pl.big", "40004", "filter[equivalents]"),
        ("/v1/catalog/us/songs?filter[equivalents]=1&ids=1", "40005", "filter[equivalents]"),
        ("/v1/catalog/us/songs?filter[equivalents]=1,,2", "40005", "filter[equivalents]"),
    ]:
        assert_error(call(target, method="GET"), errors_validator, 400, code, parameter)


# --- the web player's search -----------------------------------------------------------------

WEB_PLAYER = (
    "&art[url]=f&extend=artistUrl&fields[albums]=artistName,name&fields[artists]=url,name"
    "&format[resources]=map&include[songs]=artists&include[music-videos]=artists&l=en-US"
    "&limit[results:terms]=5&limit[results:topResults]=2&omit[resource]=autos&platform=web"
    "&relate[songs]=albums&relate[albums]=artists&with=serverBubbles,lyricHighlights"
    "&types=activities,albums,apple-curators,artists,curators,editorial-items,music-movies,"
    "music-videos,playlists,record-labels,songs,stations,tv-episodes,uploaded-videos"
)


def test_the_web_players_search_answers_the_map_form_best_match_first(call: AsgiCaller) -> None:
    body = ok(call, "/v1/catalog/us/search?term=hello&limit=21" + WEB_PLAYER)
    songs = body["results"]["songs"]
    assert ids(songs["data"]) == ["901", "902", "903"]  # exact title, then prefix, then the rest
    assert songs["data"][0] == {"id": "901", "type": "songs", "href": "/v1/catalog/us/songs/901"}
    assert set(body["resources"]["songs"]) == {"901", "902", "903"}
    assert body["resources"]["songs"]["902"]["attributes"]["name"] == "Hello Again"
    assert body["meta"]["results"]["order"] == ["albums", "music-videos", "songs"]
    assert "format%5Bresources%5D=map" in songs["href"]


def test_map_form_keeps_every_resource_once() -> None:
    song = {"id": "1", "type": "songs", "href": "/v1/catalog/us/songs/1", "attributes": {}}
    shaped = map_form({"songs": {"href": "/h", "data": [song]}})
    assert shaped == {
        "results": {
            "songs": {"href": "/h", "data": [{k: song[k] for k in ("id", "type", "href")}]}
        },
        "resources": {"songs": {"1": song}},
    }


def test_the_plain_form_is_unchanged_and_next_pages_keep_the_form(call: AsgiCaller) -> None:
    plain = ok(call, "/v1/catalog/us/search?term=track&types=songs&limit=2")
    assert "resources" not in plain
    assert plain["results"]["songs"]["data"][0]["attributes"]["name"] == "Track 1"
    mapped = ok(call, "/v1/catalog/us/search?term=track&types=songs&limit=2&format[resources]=map")
    following = ok(call, mapped["results"]["songs"]["next"])
    assert ids(following["results"]["songs"]["data"]) == ["3", "4"]
    assert set(following["resources"]["songs"]) == {"3", "4"}


def test_other_parameters_are_a_400_naming_them(
    call: AsgiCaller, errors_validator: Draft202012Validator
) -> None:
    for target, code, parameter in [
        ("/v1/catalog/us/search?term=a&types=songs&platfrom=web", "40004", "platfrom"),
        ("/v1/catalog/us/search?term=a&types=songs&fields=name", "40004", "fields"),
        (
            "/v1/catalog/us/search?term=a&types=songs&format[resources]=list",
            "40005",
            "format[resources]",
        ),
        ("/v1/catalog/us/search?term=a&types=songs,podcasts", "40005", "types"),
    ]:
        assert_error(call(target, method="GET"), errors_validator, 400, code, parameter)


def test_which_web_player_parameters_are_taken_is_a_setting(
    dev_token: str, errors_validator: Draft202012Validator
) -> None:
    app = create_app(catalog=CATALOG, web_player_parameters=["platform", "views[*]"])
    call = AsgiCaller(app, {"Authorization": f"Bearer {dev_token}"})
    assert ok(call, "/v1/catalog/us/songs/1?platform=web&views[top]=1&views[]=2")["data"]
    reply = call("/v1/catalog/us/songs/1?with=serverBubbles", method="GET")
    assert_error(reply, errors_validator, 400, "40004", "with")
    # The library's own endpoints never take them.
    library = call(
        "/v1/me/library/songs?platform=web", method="GET", headers={"Music-User-Token": "u"}
    )
    assert_error(library, errors_validator, 400, "40004", "platform")


def test_a_web_player_parameter_cannot_shadow_a_real_one() -> None:
    for name in ("ids", "term", "limit", "filter[isrc]", "l", "format[*]", "format[resources]"):
        with pytest.raises(ConfigError, match="web_player_parameters") as raised:
            create_app(web_player_parameters=[name])
        assert str(raised.value).endswith(
            f"{name!r} is a parameter the fake reads; it cannot be ignored"
        )


def test_a_prefix_never_drops_a_parameter_the_endpoint_reads(dev_token: str) -> None:
    """``format[*]`` tolerated (tolerated_parameters allows it) takes ``format[views]`` but
    search still reads ``format[resources]``, and ``filter[*]`` leaves ``filter[isrc]``."""
    app = create_app(catalog=CATALOG, tolerated_parameters=["format[*]", "filter[*]"])
    call = AsgiCaller(app, {"Authorization": f"Bearer {dev_token}"})
    target = "/v1/catalog/us/search?term=hello&types=songs&format[resources]=map&format[views]=x"
    mapped = ok(call, target)
    assert set(mapped["resources"]["songs"]) == {"901", "902", "903"}  # the map form
    isrc = ok(call, "/v1/catalog/us/songs?filter[isrc]=GBAAA2600900&filter[other]=1")
    assert ids(isrc["data"]) == ["901"]
