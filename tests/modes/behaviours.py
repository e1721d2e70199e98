"""One set of behaviour tests, written only against the README's fixtures, that
``tests/test_plugin_modes.py`` runs in every mode: in process, against the per-session
server and against an external server, each under ``-n 2``. Not collected on its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests

from pytest_plugin import AppleMusicMock, TokenFactory

Post = Callable[..., Any]


@pytest.fixture(params=["respx", "server"])
def post(request: pytest.FixtureRequest, apple_music: AppleMusicMock) -> Post:
    """POST to the fake the two ways a client reaches it: httpx with Apple's URL through
    ``apple_music_respx``, or requests against ``apple_music_server.url``."""
    if request.param == "respx":
        request.getfixturevalue("apple_music_respx")

        def send(path: str, **kwargs: Any) -> Any:
            return httpx.post("https://api.music.apple.com" + path, timeout=10, **kwargs)

    else:
        server = request.getfixturevalue("apple_music_server")

        def send(path: str, **kwargs: Any) -> Any:
            return requests.post(server.url + path, timeout=10, **kwargs)

    return send


def test_add_is_accepted_and_recorded(
    post: Post, apple_music: AppleMusicMock, developer_token: str, music_user_token: str
) -> None:
    headers = {"Authorization": f"Bearer {developer_token}", "Music-User-Token": music_user_token}
    reply = post("/v1/me/library?ids[songs]=1441164738,1441164739", headers=headers)
    assert reply.status_code == 202
    apple_music.assert_added(songs=["1441164738", "1441164739"], exactly=True)
    [entry] = apple_music.requests()
    assert (entry.method, entry.status) == ("POST", 202)


def test_a_token_signed_by_an_untrusted_key_is_refused(
    post: Post, apple_music_tokens: TokenFactory, music_user_token: str
) -> None:
    headers = {
        "Authorization": f"Bearer {apple_music_tokens.revoked()}",
        "Music-User-Token": music_user_token,
    }
    assert post("/v1/me/library?ids[songs]=1", headers=headers).status_code == 401


def test_a_missing_user_token_is_refused(post: Post, developer_token: str) -> None:
    reply = post(
        "/v1/me/library?ids[songs]=1", headers={"Authorization": f"Bearer {developer_token}"}
    )
    assert reply.status_code == 403


@pytest.mark.parametrize("n", range(6))
@pytest.mark.apple_music(repeated_keys="reject")
def test_marker_settings_apply_to_this_test(
    post: Post, apple_music: AppleMusicMock, n: int
) -> None:
    assert apple_music.settings.repeated_keys == "reject"
    reply = post("/v1/me/library?ids[songs]=1&ids[songs]=2", headers=apple_music.headers)
    assert reply.status_code == 400
    assert reply.json()["errors"][0]["source"]["parameter"] == "ids[songs]"


@pytest.mark.parametrize("n", range(6))
def test_other_tests_keep_the_defaults(post: Post, apple_music: AppleMusicMock, n: int) -> None:
    assert apple_music.settings.repeated_keys == "merge"
    reply = post("/v1/me/library?ids[songs]=1&ids[songs]=2", headers=apple_music.headers)
    assert reply.status_code == 202
    apple_music.assert_added(songs=["1", "2"], exactly=True)


def test_scripted_failures_then_normal_answers(post: Post, apple_music: AppleMusicMock) -> None:
    apple_music.fail_next(503)
    first = post("/v1/me/library?ids[albums]=7", headers=apple_music.headers)
    second = post("/v1/me/library?ids[albums]=7", headers=apple_music.headers)
    assert (first.status_code, second.status_code) == (503, 202)
    assert [e.status for e in apple_music.requests()] == [503, 202]


def test_library_state_is_per_test(post: Post, apple_music: AppleMusicMock) -> None:
    apple_music.put_library(None, {"songs": ["5"]})
    post("/v1/me/library?ids[songs]=6", headers=apple_music.headers)
    assert apple_music.library("songs") == ["5", "6"]


@pytest.fixture(params=["respx", "server"])
def call(request: pytest.FixtureRequest, apple_music: AppleMusicMock) -> Callable[..., Any]:
    """Any method, the two ways a client reaches the fake (as ``post``)."""
    send: Callable[..., Any] = httpx.request
    base = "https://api.music.apple.com"
    if request.param == "respx":
        request.getfixturevalue("apple_music_respx")
    else:
        base, send = request.getfixturevalue("apple_music_server").url, requests.request
    return lambda method, path, **kwargs: send(method, base + path, timeout=10, **kwargs)


def test_a_playlist_client_adds_creates_fills_and_reads_back(
    call: Callable[..., Any], apple_music: AppleMusicMock
) -> None:
    headers = apple_music.headers
    assert call("POST", "/v1/me/library?ids[songs]=101,102", headers=headers).status_code == 202
    songs = call("GET", "/v1/me/library/songs", headers=headers).json()["data"]
    body = {
        "attributes": {"name": "Verified", "description": "made by a test"},
        "relationships": {"tracks": {"data": [{"id": s["id"], "type": s["type"]} for s in songs]}},
    }
    created = call("POST", "/v1/me/library/playlists", headers=headers, json=body)
    assert created.status_code == 201
    playlist = created.json()["data"][0]
    tracks = f"/v1/me/library/playlists/{playlist['id']}/tracks"
    more = {"data": [{"id": "103", "type": "songs"}]}
    assert call("POST", tracks, headers=headers, json=more).status_code == 204
    assert call("GET", playlist["href"], headers=headers).json()["data"][0]["id"] == playlist["id"]
    names = [t["attributes"]["name"] for t in call("GET", tracks, headers=headers).json()["data"]]
    assert names == ["Song 101", "Song 102", "Song 103"]
    recent = call("GET", "/v1/me/library/recently-added", headers=headers).json()["data"]
    assert [r["attributes"]["name"] for r in recent[:2]] == ["Song 103", "Verified"]
    apple_music.assert_playlist("Verified", tracks=["101", "102", "103"])
    apple_music.assert_no_contract_violations()
    report = apple_music.report()
    for line in [
        "=101,102 -> 202",
        "GET /v1/me/library/songs -> 200",
        "POST /v1/me/library/playlists -> 201",
        f"POST {tracks} -> 204",
        f"GET {playlist['href']} -> 200",
        f"GET {tracks} -> 200",
        "GET /v1/me/library/recently-added -> 200",
    ]:
        assert line in report, report


def test_a_catalog_client_looks_up_adds_and_checks_membership(
    call: Callable[..., Any], apple_music: AppleMusicMock
) -> None:
    """The importer's flow: ISRC lookup, search, add, membership check and read-back, against
    a catalog this test builds (a namespace's on a shared server)."""
    apple_music.catalog.add_song(
        "1441164738",
        "Loopback",
        artist="The Offline Band",
        isrc="QZAAA2600101",
        album="Offline Sessions",
        album_id="1441164700",
    )
    apple_music.catalog.add_song("1441164739", "No Network Tonight", artist="The Offline Band")
    headers = apple_music.headers
    found = call("GET", "/v1/catalog/us/songs?filter[isrc]=QZAAA2600101", headers=headers)
    assert [s["id"] for s in found.json()["data"]] == ["1441164738"]
    search = call("GET", "/v1/catalog/us/search?term=no+network&types=songs", headers=headers)
    assert [s["id"] for s in search.json()["results"]["songs"]["data"]] == ["1441164739"]
    added = call("POST", "/v1/me/library?ids[songs]=1441164738,1441164739,1", headers=headers)
    assert added.status_code == 202
    member = call("GET", "/v1/catalog/us/songs/1441164738?include=library", headers=headers)
    assert (
        member.json()["data"][0]["relationships"]["library"]["data"][0]["attributes"]["albumName"]
        == "Offline Sessions"
    )
    apple_music.assert_added(songs=["1441164738", "1441164739"], exactly=True)
    assert apple_music.library("albums") == ["1441164700"]
    [entry] = apple_music.requests(method="POST")
    assert entry.ignored == [{"type": "songs", "id": "1", "reason": "unknown"}]
    apple_music.assert_no_contract_violations()


def test_a_migrator_checks_the_storefront_copies_a_playlist_and_syncs_it_twice(
    call: Callable[..., Any], apple_music: AppleMusicMock
) -> None:
    """A playlist-transfer tool's calls, start to finish: the user's storefront, a catalog
    playlist with its tracks, the web player's map-form search, equivalents, a library
    playlist found by name or created, read back in order; then the same again."""
    songs = [
        {"id": "1441164801", "attributes": {"name": "Loopback", "artistName": "The Offline Band"}},
        {"id": "1441164802", "attributes": {"name": "Loopback Live", "isrc": "QZAAA2600202"}},
    ]
    playlist = {
        "id": "pl.0123456789abcdef0123456789abcdef",
        "attributes": {"name": "Migrated"},
        "relationships": {"tracks": {"data": [{"id": s["id"], "type": "songs"} for s in songs]}},
    }
    apple_music.configure(catalog={"songs": songs, "playlists": [playlist]})
    headers = apple_music.headers
    storefront = call("GET", "/v1/me/storefront", headers=headers).json()["data"][0]["id"]
    source = call("GET", f"/v1/catalog/ru/playlists/{playlist['id']}", headers=headers).json()
    tracks = source["data"][0]["relationships"]["tracks"]["data"]
    assert [t["attributes"]["name"] for t in tracks] == ["Loopback", "Loopback Live"]
    web = "&format[resources]=map&platform=web&omit[resource]=autos&fields[songs]=name"
    search = f"/v1/catalog/{storefront}/search?term=loopback&types=songs,activities{web}"
    found = call("GET", search, headers=headers).json()
    assert [r["id"] for r in found["results"]["songs"]["data"]] == ["1441164801", "1441164802"]
    same = f"/v1/catalog/{storefront}/songs?filter[equivalents]=1441164802"
    assert [s["id"] for s in call("GET", same, headers=headers).json()["data"]] == ["1441164802"]
    for run in range(2):
        listed = call("GET", "/v1/me/library/playlists", headers=headers).json()["data"]
        mine = [p["id"] for p in listed if p["attributes"]["name"] == "Migrated"]
        if not mine:
            body = {"attributes": {"name": "Migrated"}}
            created = call("POST", "/v1/me/library/playlists", headers=headers, json=body)
            mine = [created.json()["data"][0]["id"]]
        path = f"/v1/me/library/playlists/{mine[0]}/tracks"
        have = [
            t["attributes"]["playParams"]["catalogId"]
            for t in call("GET", path, headers=headers).json()["data"]
        ]
        missing = [{"id": t["id"], "type": "songs"} for t in tracks if t["id"] not in have]
        assert len(missing) == (2 if run == 0 else 0)
        if missing:
            assert call("POST", path, headers=headers, json={"data": missing}).status_code == 204
    apple_music.assert_playlist("Migrated", tracks=["1441164801", "1441164802"])
    apple_music.assert_no_contract_violations()
