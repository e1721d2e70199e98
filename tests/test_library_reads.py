"""The library reads a verifying client makes (mockserver/reads.py): one resource, ``?ids=``,
resource-typed ids, recently added, ``include=catalog``, and every link they emit."""

from __future__ import annotations

from typing import Any

import pytest

from support import USER_TOKEN, Harness

ADD = "/v1/me/library?"
TYPES = {
    "songs": ("library-songs", "1564531202", "song", "catalogId"),
    "albums": ("library-albums", "1577502911", "album", "catalogId"),
    "playlists": (
        "library-playlists",
        "pl.cb4d1c09a2df4230a78d0395fe1f8fde",
        "playlist",
        "globalId",
    ),
    "music-videos": ("library-music-videos", "1452567890", "musicVideo", "catalogId"),
}


def get(harness: Harness, target: str, **headers: str) -> Any:
    reply = harness.call(target, method="GET", headers=headers or None)
    assert reply.status == 200, (target, reply.body)
    return reply.json()


def library_id(harness: Harness, type_: str, user: str = USER_TOKEN) -> str:
    return str(harness.control.get_library(user)[type_][0]["library_id"])


@pytest.mark.parametrize("type_", sorted(TYPES))
def test_one_resource_by_id_with_play_params_as_documented(harness: Harness, type_: str) -> None:
    library_type, catalog_id, kind, key = TYPES[type_]
    assert harness.call(ADD + f"ids[{type_}]={catalog_id}").status == 202
    id_ = library_id(harness, type_)
    (item,) = get(harness, f"/v1/me/library/{type_}/{id_}")["data"]
    assert item["id"] == id_
    assert item["type"] == library_type
    assert item["href"] == f"/v1/me/library/{type_}/{id_}"
    play = item["attributes"]["playParams"]
    assert play == {"id": id_, "kind": kind, "isLibrary": True, key: catalog_id}
    assert "relationships" not in item
    (item,) = get(harness, f"/v1/me/library/{type_}/{id_}?include=catalog")["data"]
    assert item["relationships"] == {"catalog": {"data": [{"id": catalog_id, "type": type_}]}}


def test_unknown_and_other_users_ids_are_404(harness: Harness) -> None:
    harness.call(ADD + "ids[songs]=1", headers={"Music-User-Token": "alice"})
    alices = library_id(harness, "songs", "alice")
    for target in (f"/v1/me/library/songs/{alices}", "/v1/me/library/songs/i.nothere"):
        reply = harness.call(target, method="GET")
        assert reply.status == 404
        assert reply.error["code"] == "40400"
    wrong_type = harness.call(
        f"/v1/me/library/albums/{alices}", method="GET", headers={"Music-User-Token": "alice"}
    )
    assert wrong_type.status == 404
    assert get(harness, f"/v1/me/library/songs/{alices}", **{"Music-User-Token": "alice"})


def test_collection_ids_answer_the_ones_that_exist_in_the_order_asked(harness: Harness) -> None:
    harness.call(ADD + "ids[songs]=1,2,3")
    ids = [i["library_id"] for i in harness.control.get_library(USER_TOKEN)["songs"]]
    body = get(harness, f"/v1/me/library/songs?ids={ids[2]},i.unknown,{ids[0]}")
    assert [item["id"] for item in body["data"]] == [ids[2], ids[0]]
    reply = harness.call("/v1/me/library/songs?ids=1,2", method="GET")
    assert (reply.status, reply.error["source"]) == (400, {"parameter": "ids"})


def test_resource_typed_ids_for_every_type(harness: Harness) -> None:
    harness.call(ADD + "&".join(f"ids[{t}]={spec[1]}" for t, spec in TYPES.items()))
    query = "&".join(
        f"ids[{spec[0]}]={library_id(harness, type_)}" for type_, spec in TYPES.items()
    )
    body = get(harness, f"/v1/me/library?{query}&ids[library-artists]=r.abc&include=catalog")
    assert [item["type"] for item in body["data"]] == [spec[0] for spec in TYPES.values()]
    assert all(item["relationships"]["catalog"]["data"] for item in body["data"])
    songs = library_id(harness, "songs")
    assert get(harness, f"/v1/me/library?ids[library-albums]={songs}")["data"] == []
    missing = harness.call("/v1/me/library", method="GET")
    assert (missing.status, missing.error["source"]) == (400, {"parameter": "ids"})
    wrong = harness.call("/v1/me/library?ids[songs]=1", method="GET")
    assert (wrong.status, wrong.error["code"]) == (400, "40004")


def test_recently_added_is_newest_first_and_paged(harness: Harness) -> None:
    for n in range(1, 14):
        harness.call(ADD + f"ids[songs]={n}")
        harness.control.advance_time(1)
    harness.call(ADD + "ids[albums]=100,101")
    body = get(harness, "/v1/me/library/recently-added")
    names = [item["attributes"]["name"] for item in body["data"]]
    assert names[:4] == ["Album 101", "Album 100", "Song 13", "Song 12"]
    assert len(names) == 10
    assert body["next"] == "/v1/me/library/recently-added?offset=10"
    rest = get(harness, body["next"])
    assert [item["attributes"]["name"] for item in rest["data"]] == [
        f"Song {n}" for n in range(5, 0, -1)
    ]
    assert "next" not in rest
    for query, parameter in [("limit=26", "limit"), ("offset=x", "offset"), ("ids=i.a", "ids")]:
        reply = harness.call(f"/v1/me/library/recently-added?{query}", method="GET")
        assert (reply.status, reply.error["source"]) == (400, {"parameter": parameter})


def test_collections_are_alphabetical(harness: Harness) -> None:
    harness.call(ADD + "ids[songs]=3,20,100")
    body = get(harness, "/v1/me/library/songs")
    assert [item["attributes"]["name"] for item in body["data"]] == [
        "Song 100",
        "Song 20",
        "Song 3",
    ]


@pytest.mark.parametrize("type_", sorted(TYPES))
def test_every_href_and_next_resolves(harness: Harness, type_: str) -> None:
    catalog = TYPES[type_][1]
    ids = [f"{catalog[:-3]}{n:03d}" for n in range(30)]
    if type_ == "playlists":
        ids = [f"pl.u-{n}" for n in range(30)]
    harness.control.put_library(USER_TOKEN, {type_: ids})
    targets = [
        f"/v1/me/library/{type_}?include=catalog",
        f"/v1/me/library/{type_}?limit=7",
        "/v1/me/library/recently-added?limit=4",
    ]
    seen: set[str] = set()
    while targets:
        target = targets.pop()
        if target in seen:
            continue
        seen.add(target)
        body = get(harness, target)
        targets += [item["href"] for item in body["data"]]
        if "next" in body:
            targets.append(body["next"])
    assert len([t for t in seen if t.count("/") == 5]) == 30


def test_item_reads_refuse_unknown_parameters(harness: Harness) -> None:
    harness.call(ADD + "ids[songs]=1")
    id_ = library_id(harness, "songs")
    for query, code, parameter in [
        ("limit=5", "40004", "limit"),
        ("include=artists", "40005", "include"),
    ]:
        reply = harness.call(f"/v1/me/library/songs/{id_}?{query}", method="GET")
        assert reply.status == 400
        assert (reply.error["code"], reply.error["source"]) == (code, {"parameter": parameter})
    assert get(harness, f"/v1/me/library/songs/{id_}?l=en-US")["data"]
    head = harness.call(f"/v1/me/library/songs/{id_}", method="HEAD")
    assert (head.status, head.body) == (200, b"")
