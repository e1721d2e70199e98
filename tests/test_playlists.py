"""Library playlists the client creates and fills (mockserver/playlists.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support import USER_TOKEN, Harness

PLAYLISTS = "/v1/me/library/playlists"
JSON = {"Content-Type": "application/json"}


def post(harness: Harness, target: str, body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return harness.call(target, method="POST", headers={**JSON, **headers}, body=raw)


def create(harness: Harness, name: str = "Road trip", **extra: Any) -> dict[str, Any]:
    reply = post(harness, PLAYLISTS, {"attributes": {"name": name}, **extra})
    assert reply.status == 201, reply.body
    (resource,) = reply.json()["data"]
    return dict(resource)


def read(harness: Harness, target: str) -> Any:
    reply = harness.call(target, method="GET")
    assert reply.status == 200, (target, reply.body)
    return reply.json()


def test_create_answers_201_with_the_library_playlist(harness: Harness) -> None:
    body = {
        "attributes": {"name": "Road trip", "description": "Songs for the car"},
        "relationships": {
            "tracks": {"data": [{"id": "1564531202", "type": "songs"}]},
            "parent": {"data": [{"id": "p.folder", "type": "library-playlist-folders"}]},
        },
    }
    reply = post(harness, PLAYLISTS, body)
    assert reply.status == 201
    (playlist,) = reply.json()["data"]
    id_ = playlist["id"]
    assert id_.startswith("p.")
    assert playlist["type"] == "library-playlists"
    assert playlist["href"] == f"{PLAYLISTS}/{id_}"
    attributes = playlist["attributes"]
    assert attributes["name"] == "Road trip"
    assert attributes["description"] == {"standard": "Songs for the car"}
    assert attributes["playParams"] == {"id": id_, "kind": "playlist", "isLibrary": True}
    assert read(harness, f"{PLAYLISTS}/{id_}")["data"] == [playlist]
    (track,) = read(harness, f"{PLAYLISTS}/{id_}/tracks")["data"]
    assert track["attributes"]["playParams"]["catalogId"] == "1564531202"
    assert read(harness, track["href"])["data"] == [track]
    assert create(harness)["id"] != id_  # every creation is a new playlist


def test_add_tracks_appends_in_order_and_answers_204(harness: Harness) -> None:
    harness.call("/v1/me/library?ids[songs]=7")
    own = harness.control.get_library(USER_TOKEN)["songs"][0]["library_id"]
    playlist = create(harness, relationships={"tracks": {"data": [{"id": "5", "type": "songs"}]}})
    target = f"{PLAYLISTS}/{playlist['id']}/tracks"
    data = [
        {"id": own, "type": "library-songs"},
        {"id": "6", "type": "music-videos"},
        {"id": "5", "type": "songs"},
    ]
    reply = post(harness, target, {"data": data})
    assert (reply.status, reply.body) == (204, b"")
    names = [item["attributes"]["name"] for item in read(harness, target)["data"]]
    assert names == ["Song 5", "Song 7", "Music Video 6", "Song 5"]
    (entry,) = harness.control.journal_entries(path=target, method="POST")
    assert entry.status == 204
    assert entry.added is not None
    assert entry.added["library-playlists"] == [playlist["id"]]
    snapshot = harness.control.get_library(USER_TOKEN)["playlists"]
    assert snapshot[0]["name"] == "Road trip"
    assert len(snapshot[0]["tracks"]) == 4


def test_unknown_and_other_users_playlists_are_404(harness: Harness) -> None:
    playlist = create(harness)
    body = {"data": [{"id": "1", "type": "songs"}]}
    for target, user in [
        (f"{PLAYLISTS}/p.unknown/tracks", USER_TOKEN),
        (f"{PLAYLISTS}/{playlist['id']}/tracks", "someone-else"),
    ]:
        reply = post(harness, target, body, **{"Music-User-Token": user})
        assert reply.status == 404
        assert reply.error["code"] == "40400"
        got = harness.call(target, method="GET", headers={"Music-User-Token": user})
        assert got.status == 404


@pytest.mark.parametrize(
    ("target", "body", "pointer"),
    [
        (PLAYLISTS, b"{not json", ""),
        (PLAYLISTS, {}, "/attributes"),
        (PLAYLISTS, {"attributes": {}}, "/attributes/name"),
        (PLAYLISTS, {"attributes": {"name": ""}}, "/attributes/name"),
        (PLAYLISTS, {"attributes": {"name": 5}}, "/attributes/name"),
        (
            PLAYLISTS,
            {
                "attributes": {"name": "x"},
                "relationships": {"tracks": {"data": [{"id": "1", "type": "albums"}]}},
            },
            "/relationships/tracks/data/0/type",
        ),
        ("TRACKS", {"data": []}, "/data"),
        (
            "TRACKS",
            {"data": [{"id": "1", "type": "songs"}, {"id": "x", "type": "songs"}]},
            "/data/1/id",
        ),
        ("TRACKS", {"data": [{"id": "i.abc"}]}, "/data/0/type"),
        ("TRACKS", [], ""),
    ],
)
def test_malformed_bodies_are_400_naming_the_pointer(
    harness: Harness, target: str, body: Any, pointer: str
) -> None:
    if target == "TRACKS":
        target = f"{PLAYLISTS}/{create(harness)['id']}/tracks"
    reply = post(harness, target, body)
    assert reply.status == 400, reply.body
    assert reply.error["source"] == {"pointer": pointer}
    assert reply.error["code"] in ("40000", "40005")


def test_bodies_are_bounded(serve: Any) -> None:
    call = serve(max_body_bytes=1024)
    big = {"attributes": {"name": "x", "description": "y" * 2000}}
    reply = call(PLAYLISTS, body=json.dumps(big).encode())
    assert reply.status == 413
    assert reply.error["code"] == "41300"


def test_catalog_playlists_keep_their_global_id_and_are_not_editable(harness: Harness) -> None:
    harness.call("/v1/me/library?ids[playlists]=pl.u-abc")
    id_ = harness.control.get_library(USER_TOKEN)["playlists"][0]["library_id"]
    assert read(harness, f"{PLAYLISTS}/{id_}/tracks")["data"] == []
    reply = post(harness, f"{PLAYLISTS}/{id_}/tracks", {"data": [{"id": "1", "type": "songs"}]})
    assert reply.status == 403
    from pytest_plugin.report import explain

    (entry,) = harness.control.journal_entries(status=403)
    assert "added from the catalog cannot be edited" in explain(entry)


def test_created_playlists_follow_visibility_and_reset(harness: Harness) -> None:
    harness.control.configure(visibility_delay_seconds=5)
    playlist = create(harness)
    assert harness.call(f"{PLAYLISTS}/{playlist['id']}", method="GET").status == 404
    harness.control.advance_time(5)
    assert read(harness, PLAYLISTS)["data"][0]["id"] == playlist["id"]
    harness.control.reset(USER_TOKEN)
    assert harness.call(f"{PLAYLISTS}/{playlist['id']}", method="GET").status == 404


def test_tracks_page_and_links_resolve(harness: Harness) -> None:
    data = [{"id": str(100 + n), "type": "songs"} for n in range(130)]
    playlist = create(harness, relationships={"tracks": {"data": data}})
    target: str | None = f"{PLAYLISTS}/{playlist['id']}/tracks"
    collected: list[dict[str, Any]] = []
    while target:
        body = read(harness, target)
        collected += body["data"]
        target = body.get("next")
    assert [item["attributes"]["name"] for item in collected] == [
        f"Song {100 + n}" for n in range(130)
    ]
    for item in collected[:3]:
        assert read(harness, item["href"])["data"] == [item]


def test_rules_match_the_playlist_endpoints_and_the_body_is_read_first(harness: Harness) -> None:
    harness.control.add_rule(
        match={"method": "POST", "path": PLAYLISTS}, action={"status": 503}, times=1
    )
    assert post(harness, PLAYLISTS, {"attributes": {"name": "x"}}).status == 503
    playlist = create(harness)  # the rule is spent: normal behaviour again
    target = f"{PLAYLISTS}/{playlist['id']}/tracks"
    harness.control.add_rule(
        match={"method": "POST", "path": target}, action={"delay": 0.05}, times=1
    )
    assert post(harness, target, {"data": [{"id": "9", "type": "songs"}]}).status == 204
    assert [e.status for e in harness.control.journal_entries(path=target)] == [204]


def test_namespaced_reset_forgets_only_that_users_playlists(harness: Harness) -> None:
    mine = create(harness, "Mine")
    reply = post(
        harness, PLAYLISTS, {"attributes": {"name": "Theirs"}}, **{"Music-User-Token": "other"}
    )
    assert reply.status == 201
    harness.control.reset("other")
    assert harness.control.get_library("other")["playlists"] == []
    assert read(harness, f"{PLAYLISTS}/{mine['id']}")["data"][0]["attributes"]["name"] == "Mine"
