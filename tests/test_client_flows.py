"""Whole client flows (README "Whole client flows"): the calls real importers, migrators and
sync tools make around the add — storefront first, catalog in any storefront, library
playlists found by name, read back in order — and the undocumented calls they also make."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from mockserver import MockApp, create_app
from mockserver.catalog import read_catalog
from mockserver.schemas import load_schemas
from pytest_plugin import AppleMusicAssertionError, AppleMusicMock

from support import AsgiCaller, assert_error

PLAYLIST = "pl.cb4d1c09a2df4230a78d0395fe1f8fde"  # the demo catalog's playlist
USER = {"Music-User-Token": "flow-user"}


def fake(dev_token: str, **settings: Any) -> tuple[MockApp, AsgiCaller]:
    app = create_app(catalog=read_catalog("demo"), **settings)
    return app, AsgiCaller(app, {"Authorization": f"Bearer {dev_token}", **USER})


def ok(call: AsgiCaller, target: str, status: int = 200, **kwargs: Any) -> Any:
    reply = call(target, method=kwargs.pop("method", "GET"), **kwargs)
    assert reply.status == status, (target, reply.body)
    return reply.json() if reply.body else None


def test_a_known_storefront_never_404s_the_whole_route(dev_token: str) -> None:
    """Availability decides per item; every known storefront answers the route itself."""
    _, call = fake(dev_token)
    tokyo = "1564531303"  # jp only
    assert ok(call, f"/v1/catalog/jp/songs/{tokyo}")["data"][0]["id"] == tokyo
    assert call(f"/v1/catalog/ru/songs/{tokyo}", method="GET").status == 404  # the item
    assert ok(call, f"/v1/catalog/ru/songs?ids={tokyo},1564531202")["data"][0]["id"] == (
        "1564531202"
    )
    assert ok(call, "/v1/catalog/ru/search?term=tokyo&types=songs")["results"] == {}
    assert [
        s["id"]
        for s in ok(call, "/v1/catalog/jp/search?term=tokyo&types=songs")["results"]["songs"][
            "data"
        ]
    ] == [tokyo]
    jp = ok(call, f"/v1/catalog/jp/playlists/{PLAYLIST}")["data"][0]
    ru = ok(call, f"/v1/catalog/ru/playlists/{PLAYLIST}")["data"][0]
    assert len(jp["relationships"]["tracks"]["data"]) == 8
    assert len(ru["relationships"]["tracks"]["data"]) == 7
    assert ru["relationships"]["tracks"]["data"][0]["href"].startswith("/v1/catalog/ru/")


def test_an_added_catalog_playlist_has_its_name_and_tracks(dev_token: str) -> None:
    _, call = fake(dev_token)
    assert call(f"/v1/me/library?ids[playlists]={PLAYLIST}").status == 202
    [playlist] = ok(call, "/v1/me/library/playlists")["data"]
    assert playlist["attributes"]["name"] == "Offline Essentials"
    assert playlist["attributes"]["playParams"]["globalId"] == PLAYLIST
    tracks = ok(call, f"/v1/me/library/playlists/{playlist['id']}/tracks?limit=5")
    assert [t["attributes"]["playParams"]["catalogId"] for t in tracks["data"]] == [
        "1564531202",
        "1564531203",
        "1564531204",
        "1564531205",
        "1564531206",
    ]
    assert tracks["meta"]["total"] == 7  # the jp-only song is not in the user's storefront
    assert tracks["data"][0]["type"] == "library-songs"
    following = ok(call, tracks["next"])
    assert [t["attributes"]["name"] for t in following["data"]] == [
        "Loopback",
        "No Network Tonight",
    ]


def test_an_added_catalog_playlists_tracks_are_library_songs_the_reads_answer(
    dev_token: str,
) -> None:
    """Its tracks' ids (and hrefs) answer 200, and the songs are in the library's songs,
    by ids, in recently added and as the catalog songs' library copies."""
    app, call = fake(dev_token)
    assert call(f"/v1/me/library?ids[playlists]={PLAYLIST}&ids[songs]=1564531202").status == 202
    [playlist] = ok(call, "/v1/me/library/playlists")["data"]
    tracks = ok(call, f"/v1/me/library/playlists/{playlist['id']}/tracks")["data"]
    for track in tracks:
        assert ok(call, track["href"])["data"] == [track]
    songs = ok(call, "/v1/me/library/songs?limit=25")
    assert songs["meta"]["total"] == 7  # the song added alone is one of them: once
    assert {s["id"] for s in songs["data"]} == {t["id"] for t in tracks}
    two = ",".join(t["id"] for t in tracks[:2])
    assert [s["id"] for s in ok(call, f"/v1/me/library/songs?ids={two}")["data"]] == [
        t["id"] for t in tracks[:2]
    ]
    typed = ok(call, f"/v1/me/library?ids[library-songs]={tracks[-1]['id']}")["data"]
    assert [s["id"] for s in typed] == [tracks[-1]["id"]]
    recent = ok(call, "/v1/me/library/recently-added?limit=25")["data"]
    kinds = [r["type"] for r in recent]
    assert (kinds.count("library-songs"), kinds.count("library-playlists")) == (7, 1)
    catalog_id = tracks[-1]["attributes"]["playParams"]["catalogId"]
    copy = ok(call, f"/v1/catalog/us/songs/{catalog_id}/library")["data"]
    assert [c["id"] for c in copy] == [tracks[-1]["id"]]
    assert call("/v1/me/library/songs/i.notInThisLibrary", method="GET").status == 404
    user = USER["Music-User-Token"]
    [entry] = app.mock.get_library(user)["playlists"]
    assert entry["name"] == "Offline Essentials"
    assert entry["tracks"] == [t["id"] for t in tracks]


def test_assert_playlist_sees_a_playlist_added_from_the_catalog(
    apple_music: AppleMusicMock,
) -> None:
    apple_music.configure(catalog=read_catalog("demo"))
    apple_music.put_library(apple_music.user_token, {"playlists": [PLAYLIST]})
    demo_us = ["1564531202", "1564531203", "1564531204", "1564531205", "1564531206"]
    demo_us += ["1564531301", "1564531302"]
    playlist = apple_music.assert_playlist("Offline Essentials", tracks=demo_us)
    assert playlist["catalog_id"] == PLAYLIST
    with pytest.raises(AppleMusicAssertionError, match="expected tracks"):
        apple_music.assert_playlist("Offline Essentials", tracks=demo_us[::-1])
    with pytest.raises(AppleMusicAssertionError, match=r"playlists: \['Offline Essentials'\]"):
        apple_music.assert_playlist("Elsewhere")


def test_a_created_playlist_reads_back_in_order_by_name(dev_token: str) -> None:
    _, call = fake(dev_token)
    order = ["1564531206", "1564531202", "1564531301"]
    body = {
        "attributes": {"name": "Mine", "description": "made by a sync tool"},
        "relationships": {"tracks": {"data": [{"id": i, "type": "songs"} for i in order[:2]]}},
    }
    created = ok(
        call, "/v1/me/library/playlists", 201, method="POST", body=json.dumps(body).encode()
    )
    playlist = created["data"][0]
    tail = {"data": [{"id": order[2], "type": "songs"}]}
    tracks = f"/v1/me/library/playlists/{playlist['id']}/tracks"
    ok(call, tracks, 204, method="POST", body=json.dumps(tail).encode())
    names = [p["attributes"]["name"] for p in ok(call, "/v1/me/library/playlists")["data"]]
    assert names == ["Mine"]
    read = ok(call, tracks)["data"]
    assert [t["attributes"]["playParams"]["catalogId"] for t in read] == order
    assert [t["attributes"]["name"] for t in read] == [
        "Retry After",
        "Yesterday's Fixture",
        "Loopback",
    ]


def sync(call: AsgiCaller, name: str, wanted: list[str]) -> int:
    """A playlist-sync tool: find the playlist by name (create it when missing), read its
    tracks, add the missing ones. How many tracks it added."""
    listed = ok(call, "/v1/me/library/playlists?limit=100")["data"]
    found = [p for p in listed if p["attributes"]["name"] == name]
    if not found:
        body = {"attributes": {"name": name}}
        created = ok(
            call, "/v1/me/library/playlists", 201, method="POST", body=json.dumps(body).encode()
        )
        found = created["data"]
    tracks = f"/v1/me/library/playlists/{found[0]['id']}/tracks"
    have = [t["attributes"]["playParams"]["catalogId"] for t in ok(call, tracks)["data"]]
    missing = [id_ for id_ in wanted if id_ not in have]
    if missing:
        more = {"data": [{"id": id_, "type": "songs"} for id_ in missing]}
        ok(call, tracks, 204, method="POST", body=json.dumps(more).encode())
    return len(missing)


def test_a_sync_tool_run_twice_adds_no_duplicates(dev_token: str) -> None:
    app, call = fake(dev_token)
    wanted = ["1564531202", "1564531205", "1564531302"]
    assert sync(call, "Synced", wanted) == 3
    assert sync(call, "Synced", wanted) == 0  # "already in sync"
    assert sync(call, "Synced", [*wanted, "1564531203"]) == 1
    [snapshot] = app.mock.get_library("flow-user")["playlists"]
    assert len(snapshot["tracks"]) == 4
    assert len(app.mock.journal_entries(method="POST", path="/v1/me/library/playlists")) == 1


def test_undocumented_calls_are_an_apple_shaped_405_a_rule_can_override(
    dev_token: str, errors_validator: Draft202012Validator
) -> None:
    app, call = fake(dev_token)
    body = json.dumps({"attributes": {"name": "Mine"}}).encode()
    playlist = ok(call, "/v1/me/library/playlists", 201, method="POST", body=body)["data"][0]
    path = f"/v1/me/library/playlists/{playlist['id']}"
    patch = json.dumps({"attributes": {"description": "updated"}}).encode()
    for method, target in [
        ("PATCH", path),
        ("PUT", path),
        ("DELETE", path),
        ("PUT", path + "/tracks"),
        ("DELETE", path + "/tracks"),
        ("DELETE", "/v1/me/library/songs/i.abc"),
        ("PUT", "/v1/me/storefront"),
    ]:
        reply = call(target, method=method, body=patch)
        error = assert_error(reply, errors_validator, 405, "40500")
        assert method in str(error["detail"]), error
        assert "GET" in reply.headers["allow"]
    [entry] = app.mock.journal_entries(method="PATCH")
    assert entry.status == 405
    # A test that knows better scripts the answer (the statuses rule.schema.json allows).
    app.mock.add_rule(match={"method": "PATCH", "path": path}, action={"status": 202})
    assert call(path, method="PATCH", body=patch).status == 202
    assert app.mock.journal_entries(method="PATCH")[-1].rule is not None


def test_storefront_and_new_routes_take_rules_faults_and_the_journal(dev_token: str) -> None:
    app, call = fake(dev_token)
    app.mock.add_rule(
        match={"method": "GET", "path": "/v1/me/storefront"}, sequence=[{"status": 503}]
    )
    assert call("/v1/me/storefront", method="GET").status == 503
    assert ok(call, "/v1/me/storefront")["data"][0]["id"] == "us"
    tracks = f"/v1/catalog/us/playlists/{PLAYLIST}/tracks"
    app.mock.add_rule(match={"method": "GET", "path": tracks}, sequence=[{"status": 429}])
    assert call(tracks, method="GET").status == 429
    assert len(ok(call, tracks)["data"]) == 7
    statuses = [(e.path, e.status) for e in app.mock.journal_entries(method="GET")]
    assert statuses == [
        ("/v1/me/storefront", 503),
        ("/v1/me/storefront", 200),
        (tracks, 429),
        (tracks, 200),
    ]


def test_include_tracks_on_a_library_playlist_gives_its_tracks_in_order(
    dev_token: str, errors_validator: Draft202012Validator
) -> None:
    _, call = fake(dev_token)
    assert call(f"/v1/me/library?ids[playlists]={PLAYLIST}&ids[songs]=1564531202").status == 202
    many = {"data": [{"id": str(n), "type": "songs"} for n in range(1, 106)]}
    body = {"attributes": {"name": "Long"}, "relationships": {"tracks": many}}
    created = ok(
        call, "/v1/me/library/playlists", 201, method="POST", body=json.dumps(body).encode()
    )
    listed = {
        p["attributes"]["name"]: p["id"] for p in ok(call, "/v1/me/library/playlists")["data"]
    }
    added = ok(call, f"/v1/me/library/playlists/{listed['Offline Essentials']}?include=tracks")
    [resource] = added["data"]
    load_schemas().validator("api.schema.json#/$defs/LibraryResourcesResponse").validate(added)
    tracks = resource["relationships"]["tracks"]
    assert tracks["href"] == f"/v1/me/library/playlists/{listed['Offline Essentials']}/tracks"
    assert len(tracks["data"]) == 7
    assert "next" not in tracks
    long_id = created["data"][0]["id"]
    both = ok(call, f"/v1/me/library/playlists/{long_id}?include=catalog,tracks")["data"][0]
    page = both["relationships"]["tracks"]
    assert [t["attributes"]["playParams"]["catalogId"] for t in page["data"]] == [
        str(n) for n in range(1, 101)
    ]
    assert page["next"] == f"/v1/me/library/playlists/{long_id}/tracks?offset=100"
    assert both["relationships"]["catalog"] == {"data": []}  # created: no catalog copy
    assert page["data"][0]["relationships"]["catalog"]["data"][0]["id"] == "1"
    song = ok(call, "/v1/me/library/songs?limit=1")["data"][0]
    plain = ok(call, f"{song['href']}?include=tracks")["data"][0]
    assert "relationships" not in plain  # only playlists have tracks here
    bad = call(f"{song['href']}?include=albums", method="GET")
    assert_error(bad, errors_validator, 400, "40005", "include")


def test_include_tracks_on_the_playlists_collection_is_the_single_reads(dev_token: str) -> None:
    """``GET /v1/me/library/playlists?include=tracks`` (``tracks`` is a LibraryPlaylists
    relationship): each playlist as its single read gives it; ignored on other types."""
    _, call = fake(dev_token)
    assert call(f"/v1/me/library?ids[playlists]={PLAYLIST}&ids[songs]=1564531202").status == 202
    many = {"data": [{"id": str(n), "type": "songs"} for n in range(1, 106)]}
    body = json.dumps({"attributes": {"name": "Long"}, "relationships": {"tracks": many}})
    ok(call, "/v1/me/library/playlists", 201, method="POST", body=body.encode())
    collection = ok(call, "/v1/me/library/playlists?include=tracks")
    load_schemas().validator("api.schema.json#/$defs/LibraryResourcesResponse").validate(
        collection
    )
    assert [p["attributes"]["name"] for p in collection["data"]] == ["Long", "Offline Essentials"]
    for listed in collection["data"]:
        single = ok(call, f"{listed['href']}?include=tracks")["data"][0]
        assert listed["relationships"]["tracks"] == single["relationships"]["tracks"]
    assert len(collection["data"][0]["relationships"]["tracks"]["data"]) == 100
    first = ok(call, "/v1/me/library/playlists?include=tracks,catalog&limit=1")
    assert first["next"] == "/v1/me/library/playlists?offset=1&limit=1&include=tracks,catalog"
    [second] = ok(call, first["next"])["data"]
    assert len(second["relationships"]["tracks"]["data"]) == 7
    assert second["relationships"]["catalog"]["data"][0]["id"] == PLAYLIST
    songs = ok(call, "/v1/me/library/songs?include=tracks")["data"]
    assert songs
    assert not any("relationships" in song for song in songs)
