"""The catalog endpoints (mockserver/catalog_reads.py): one resource, several by id or ISRC,
search, the library relationship, include=library, unknown storefronts, and the catalog's
attributes on the library reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockserver import MockApp, create_app

from support import AsgiCaller, Reply, assert_error

EXT = "x-apple-music-mock"
ALBUM = {"albums": {"data": [{"id": "10", "type": "albums"}]}}
CATALOG: dict[str, Any] = {
    "songs": [
        {
            "id": "1",
            "type": "songs",
            "attributes": {
                "name": "Hello",
                "artistName": "Adele",
                "albumName": "25",
                "isrc": "GBBKS1500214",
                "durationInMillis": 295502,
                "trackNumber": 1,
            },
            "relationships": ALBUM,
        },
        {"id": "2", "attributes": {"name": "Say Hello", "isrc": "USAT20000001"}},
        {"id": "3", "attributes": {"name": "Hello World"}, EXT: {"storefronts": ["gb"]}},
        *[f"{n}" for n in range(100, 112)],  # "Song 100" … "Song 111"
    ],
    "albums": [{"id": "10", "attributes": {"name": "25", "artistName": "Adele"}}],
    "music-videos": [{"id": "20", "attributes": {"name": "Hello", "isrc": "GBBKS1500214"}}],
    "playlists": ["pl.abc"],
    "artists": [{"id": "100", "attributes": {"name": "Adele"}}],
}
USER = {"Music-User-Token": "alice"}
NO_USER = {"Music-User-Token": None}

Make = Callable[..., tuple[MockApp, AsgiCaller]]


@pytest.fixture
def make(dev_token: str) -> Make:
    """An in-process fake with the catalog (and overrides), and a developer-token caller."""

    def factory(**overrides: Any) -> tuple[MockApp, AsgiCaller]:
        app = create_app(**{"catalog": CATALOG, **overrides})
        return app, AsgiCaller(app, {"Authorization": f"Bearer {dev_token}"})

    return factory


@pytest.fixture
def caller(make: Make) -> AsgiCaller:
    return make()[1]


def get(caller: AsgiCaller, target: str, headers: Mapping[str, str | None] | None = None) -> Reply:
    return caller(target, method="GET", headers=headers)


def ok(caller: AsgiCaller, target: str, headers: Mapping[str, str | None] | None = None) -> Any:
    reply = get(caller, target, headers)
    assert reply.status == 200, (target, reply.body)
    return reply.json()


def ids(body: Any) -> list[str]:
    return [str(resource["id"]) for resource in body["data"]]


# --- one resource ----------------------------------------------------------------------------


def test_one_resource_needs_only_the_developer_token(caller: AsgiCaller) -> None:
    (song,) = ok(caller, "/v1/catalog/us/songs/1")["data"]
    assert song["id"] == "1"
    assert song["type"] == "songs"
    assert song["href"] == "/v1/catalog/us/songs/1"
    assert song["attributes"]["isrc"] == "GBBKS1500214"
    assert song["attributes"]["playParams"] == {"id": "1", "kind": "song"}
    assert song["relationships"] == ALBUM
    assert EXT not in song
    for type_, id_ in [("albums", "10"), ("music-videos", "20"), ("playlists", "pl.abc")]:
        assert ids(ok(caller, f"/v1/catalog/gb/{type_}/{id_}?l=en-US")) == [id_]


def test_one_resource_not_listed_or_unavailable_is_404(
    caller: AsgiCaller, errors_validator: Draft202012Validator
) -> None:
    assert ids(ok(caller, "/v1/catalog/gb/songs/3")) == ["3"]
    for target in (
        "/v1/catalog/us/songs/3",
        "/v1/catalog/us/songs/999",
        "/v1/catalog/us/albums/1",
    ):
        error = assert_error(get(caller, target), errors_validator, 404, "40400")
        assert "was not found" in str(error["detail"])


def test_unknown_query_parameters_and_include_values_are_400(
    caller: AsgiCaller, errors_validator: Draft202012Validator
) -> None:
    for target, code, parameter in [
        ("/v1/catalog/us/songs/1?foo=1", "40004", "foo"),
        ("/v1/catalog/us/songs?ids=1&bar=2", "40004", "bar"),
        ("/v1/catalog/us/search?term=a&types=songs&sort=name", "40004", "sort"),
        ("/v1/catalog/us/songs/1?include=bogus", "40005", "include"),
    ]:
        assert_error(get(caller, target), errors_validator, 400, code, parameter)


@pytest.mark.parametrize("status", [400, 404])
def test_an_unknown_storefront_is_refused_on_every_endpoint(
    make: Make, errors_validator: Draft202012Validator, status: int
) -> None:
    _, caller = make(storefronts=["us", "gb"], unknown_storefront_status=status)
    for target in (
        "/v1/catalog/fr/songs/1",
        "/v1/catalog/fr/songs?ids=1",
        "/v1/catalog/fr/search?term=hello&types=songs",
        "/v1/catalog/fr/songs/1/library",
    ):
        reply = get(caller, target, USER)
        if status == 400:
            assert_error(reply, errors_validator, 400, "40005", "storefront")
        else:
            assert_error(reply, errors_validator, 404, "40400")
    assert ids(ok(caller, "/v1/catalog/gb/songs?ids=1")) == ["1"]


# --- several resources -----------------------------------------------------------------------


def test_several_by_id_answer_the_found_ones_in_the_order_asked(caller: AsgiCaller) -> None:
    assert ids(ok(caller, "/v1/catalog/us/songs?ids=2,999,1,3,2")) == ["2", "1"]
    assert ids(ok(caller, "/v1/catalog/gb/songs?ids=3,1")) == ["3", "1"]
    assert ok(caller, "/v1/catalog/us/albums?ids=1,2") == {"data": []}
    body = ok(caller, "/v1/catalog/us/songs?ids=1")
    assert body["data"][0]["href"] == "/v1/catalog/us/songs/1"


def test_several_by_isrc_is_case_insensitive_and_typed(caller: AsgiCaller) -> None:
    assert ids(ok(caller, "/v1/catalog/us/songs?filter[isrc]=gbbks1500214,USAT20000001")) == [
        "1",
        "2",
    ]
    assert ids(ok(caller, "/v1/catalog/us/music-videos?filter[isrc]=GBBKS1500214")) == ["20"]
    assert ok(caller, "/v1/catalog/us/songs?filter[isrc]=XX0000000000") == {"data": []}
    encoded = "/v1/catalog/us/songs?filter%5Bisrc%5D=GBBKS1500214"
    assert ids(ok(caller, encoded)) == ["1"]


def test_several_needs_exactly_one_of_ids_or_isrc(
    caller: AsgiCaller, errors_validator: Draft202012Validator
) -> None:
    for target, code, parameter in [
        ("/v1/catalog/us/songs", "40005", "ids"),
        ("/v1/catalog/us/songs?ids=1&filter[isrc]=GBBKS1500214", "40005", "filter[isrc]"),
        ("/v1/catalog/us/albums?filter[isrc]=GBBKS1500214", "40004", "filter[isrc]"),
        ("/v1/catalog/us/songs?ids=1,,2", "40005", "ids"),
        ("/v1/catalog/us/songs?filter[isrc]=GB_BKS", "40005", "filter[isrc]"),
    ]:
        assert_error(get(caller, target), errors_validator, 400, code, parameter)


def test_the_caps_are_300_ids_and_25_isrcs(
    caller: AsgiCaller, errors_validator: Draft202012Validator
) -> None:
    many = ",".join(str(n) for n in range(1, 301))
    assert ids(ok(caller, f"/v1/catalog/us/songs?ids={many}")) == ["1", "2"] + [
        str(n) for n in range(100, 112)
    ]
    error = assert_error(
        get(caller, f"/v1/catalog/us/songs?ids={many},301"), errors_validator, 400, "40005", "ids"
    )
    assert "300" in str(error["detail"])
    isrcs = ",".join(f"USAT2000{n:04d}" for n in range(1, 26))
    assert ids(ok(caller, f"/v1/catalog/us/songs?filter[isrc]={isrcs}")) == ["2"]
    error = assert_error(
        get(caller, f"/v1/catalog/us/songs?filter[isrc]={isrcs},GBBKS1500214"),
        errors_validator,
        400,
        "40005",
        "filter[isrc]",
    )
    assert "25" in str(error["detail"])


# --- search ----------------------------------------------------------------------------------


def test_search_answers_results_per_type_and_their_order(caller: AsgiCaller) -> None:
    body = ok(caller, "/v1/catalog/us/search?term=HELLO&types=music-videos,songs,albums")
    assert list(body["results"]) == ["music-videos", "songs"]  # no album matches
    assert body["meta"] == {
        "results": {"order": ["music-videos", "songs"], "rawOrder": ["music-videos", "songs"]}
    }
    songs = body["results"]["songs"]
    assert [r["id"] for r in songs["data"]] == ["1", "2"]  # exact name first; 3 is gb only
    assert songs["href"] == "/v1/catalog/us/search?limit=5&offset=0&term=HELLO&types=songs"
    assert "next" not in songs
    gb = ok(caller, "/v1/catalog/gb/search?term=hello&types=songs")["results"]["songs"]
    assert [r["id"] for r in gb["data"]] == ["1", "3", "2"]
    assert gb["data"][0]["href"] == "/v1/catalog/gb/songs/1"
    adele = ok(caller, "/v1/catalog/us/search?term=adele&types=artists,albums")
    assert [r["id"] for r in adele["results"]["artists"]["data"]] == ["100"]
    assert [r["id"] for r in adele["results"]["albums"]["data"]] == ["10"]
    nothing = ok(caller, "/v1/catalog/us/search?term=zzz&types=songs")
    assert nothing == {"results": {}, "meta": {"results": {"order": [], "rawOrder": []}}}


def test_search_pages_with_next_until_nothing_remains(caller: AsgiCaller) -> None:
    base = "/v1/catalog/us/search?term=song%2011&types=songs"  # "Song 110", "Song 111"
    assert [r["id"] for r in ok(caller, base)["results"]["songs"]["data"]] == ["110", "111"]
    target: str | None = "/v1/catalog/us/search?term=song&types=songs&limit=5"
    seen: list[str] = []
    while target is not None:
        group = ok(caller, target)["results"]["songs"]
        assert len(group["data"]) <= 5
        seen += [r["id"] for r in group["data"]]
        target = group.get("next")
    assert seen == [str(n) for n in range(100, 112)]
    page = ok(caller, "/v1/catalog/us/search?term=song&types=songs&limit=5&offset=10")
    assert page["results"]["songs"]["href"].endswith("limit=5&offset=10&term=song&types=songs")
    assert "next" not in page["results"]["songs"]
    assert ok(caller, "/v1/catalog/us/search?term=song&types=songs&offset=12") == {
        "results": {},
        "meta": {"results": {"order": [], "rawOrder": []}},
    }
    default = ok(caller, "/v1/catalog/us/search?term=song&types=songs")["results"]["songs"]
    assert len(default["data"]) == 5
    assert default["next"] == "/v1/catalog/us/search?limit=5&offset=5&term=song&types=songs"


def test_search_parameters_are_validated(
    caller: AsgiCaller, errors_validator: Draft202012Validator
) -> None:
    for target, parameter in [
        ("/v1/catalog/us/search?term=a&types=songs,podcasts", "types"),
        ("/v1/catalog/us/search?term=a&types=songs&limit=26", "limit"),
        ("/v1/catalog/us/search?term=a&types=songs&limit=0", "limit"),
        ("/v1/catalog/us/search?term=a&types=songs&offset=-1", "offset"),
        ("/v1/catalog/us/search?term=&types=songs", "term"),
    ]:
        assert_error(get(caller, target), errors_validator, 400, "40005", parameter)
    reply = get(caller, "/v1/catalog/us/search?types=songs")
    assert reply.status == 400
    assert reply.error["code"] == "40005"
    assert "'term'" in reply.error["detail"]
    assert get(caller, "/v1/catalog/us/search?term=a").status == 400


def test_a_missing_term_or_types_names_the_parameter(caller: AsgiCaller) -> None:
    for target, parameter in [("?types=songs", "term"), ("?term=a", "types")]:
        reply = get(caller, f"/v1/catalog/us/search{target}")
        assert reply.error.get("source") == {"parameter": parameter}


def test_a_term_of_digits_is_searched_as_written(make: Make) -> None:
    _, caller = make(catalog={"songs": [{"id": "1", "attributes": {"name": "007"}}, "7"]})
    body = ok(caller, "/v1/catalog/us/search?term=007&types=songs")
    assert [r["id"] for r in body["results"]["songs"]["data"]] == ["1"]


# --- the user's library ----------------------------------------------------------------------


def without_id(error: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in error.items() if key != "id"}


def add(caller: AsgiCaller, query: str) -> None:
    assert caller(f"/v1/me/library?{query}", headers=USER).status == 202


def test_include_library_shows_the_users_copy(make: Make) -> None:
    app, caller = make()
    before = ok(caller, "/v1/catalog/us/songs/1?include=library", USER)["data"][0]
    assert before["relationships"] == {**ALBUM, "library": {"data": []}}
    add(caller, "ids[songs]=1,2")
    library_ids = {
        i["catalog_id"]: i["library_id"] for i in app.mock.get_library("alice")["songs"]
    }
    (song,) = ok(caller, "/v1/catalog/us/songs/1?include=library", USER)["data"]
    (copy,) = song["relationships"]["library"]["data"]
    assert copy["id"] == library_ids["1"]
    assert copy["type"] == "library-songs"
    assert copy["attributes"]["playParams"]["catalogId"] == "1"
    assert song["relationships"]["albums"] == ALBUM["albums"]
    bob = ok(caller, "/v1/catalog/us/songs/1?include=library", {"Music-User-Token": "bob"})
    assert bob["data"][0]["relationships"]["library"] == {"data": []}


def test_include_on_several_resources(make: Make) -> None:
    app, caller = make()
    add(caller, "ids[songs]=1,2")
    library_ids = {
        i["catalog_id"]: i["library_id"] for i in app.mock.get_library("alice")["songs"]
    }
    several = ok(caller, "/v1/catalog/us/songs?ids=2,1&include=library", USER)["data"]
    assert [s["relationships"]["library"]["data"][0]["id"] for s in several] == [
        library_ids["2"],
        library_ids["1"],
    ]
    assert get(caller, "/v1/catalog/us/songs?ids=1&include=library", NO_USER).status == 403
    assert ids(ok(caller, "/v1/catalog/us/songs?ids=1&include=albums", NO_USER)) == ["1"]


@pytest.mark.parametrize("status", [401, 403])
def test_include_library_without_a_user_token_answers_as_the_library_does(
    make: Make, status: int
) -> None:
    _, caller = make(missing_user_token_status=status)
    library = get(caller, "/v1/me/library/songs", NO_USER)
    assert library.status == status
    for target in (
        "/v1/catalog/us/songs/1?include=library",
        "/v1/catalog/us/songs/1/library",
    ):
        reply = get(caller, target, NO_USER)
        assert reply.status == status, target
        if status == 401:
            assert reply.body == library.body == b""
        else:
            assert without_id(reply.error) == without_id(library.error)
            assert reply.error["code"] == "40300"
    assert ids(ok(caller, "/v1/catalog/us/songs/1?include=albums", NO_USER)) == ["1"]


def test_the_library_relationship_is_404_until_added(
    make: Make, errors_validator: Draft202012Validator
) -> None:
    app, caller = make()
    for target in ("/v1/catalog/us/songs/1/library", "/v1/catalog/us/songs/999/library"):
        assert_error(get(caller, target, USER), errors_validator, 404, "40400")
    reasons = [entry.reason for entry in app.mock.journal_entries()[-2:]]
    assert reasons == ["not in the user's library", "not in the catalog"]
    add(caller, "ids[songs]=1")
    (copy,) = ok(caller, "/v1/catalog/us/songs/1/library", USER)["data"]
    assert copy["type"] == "library-songs"
    assert copy["attributes"]["name"] == "Hello"
    assert copy["id"] == app.mock.get_library("alice")["songs"][0]["library_id"]
    (album,) = ok(caller, "/v1/catalog/us/albums/10/library", USER)["data"]  # brought along
    assert album["type"] == "library-albums"


def test_library_reads_carry_the_catalogs_attributes(make: Make) -> None:
    app, caller = make()
    add(caller, "ids[songs]=1,100")
    body = ok(caller, "/v1/me/library/songs", USER)
    first = body["data"][0]
    assert first["attributes"]["name"] == "Hello"
    assert first["attributes"]["artistName"] == "Adele"
    assert first["attributes"]["albumName"] == "25"
    assert first["attributes"]["durationInMillis"] == 295502
    assert first["attributes"]["trackNumber"] == 1
    assert "isrc" not in first["attributes"]  # not a library song attribute
    assert body["data"][1]["attributes"]["name"] == "Song 100"
    library_id = first["id"]
    (one,) = ok(caller, f"/v1/me/library/songs/{library_id}?include=catalog", USER)["data"]
    (catalog,) = one["relationships"]["catalog"]["data"]
    assert catalog == ok(caller, "/v1/catalog/us/songs/1")["data"][0]
    albums = ok(caller, "/v1/me/library/albums", USER)["data"]
    assert [a["attributes"]["name"] for a in albums] == ["25"]
    assert app.mock.get_library("alice")["albums"][0]["catalog_id"] == "10"
