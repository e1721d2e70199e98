"""The catalog through every control surface (controller, admin API and AdminClient,
CatalogEditor, the pytest handle), the demo catalog and ``serve --catalog``, and the rest of
the fake (rules, rate limits, the journal) applying to catalog requests as everywhere."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mockserver import (
    AdminClient,
    CatalogEditor,
    ConfigError,
    LiveServer,
    MockControl,
    create_app,
    mint_developer_token,
)
from mockserver.catalog import EXTENSION, read_catalog

from support import AsgiCaller

SONG: dict[str, Any] = {"id": "1", "attributes": {"name": "One", "isrc": "QZAAA2600001"}}


def admin(url: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/_mock{path}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            content = response.read()
            return response.status, json.loads(content) if content else None
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def exercise(control: MockControl) -> list[Any]:
    """The same calls on any control surface; what each answered."""
    seen: list[Any] = [control.get_catalog()]
    seen.append(control.put_catalog({"songs": [SONG]}))
    seen.append(control.patch_catalog({"songs": ["2"], "albums": ["10"]}))
    seen.append(control.patch_catalog({"songs": [{"id": "1", "attributes": {"name": "Uno"}}]}))
    with pytest.raises(ConfigError, match=r"'catalog'\['songs'\]\[0\]\['id'\]"):
        control.patch_catalog({"songs": [{"id": 3}]})
    seen.append(control.get_catalog())  # unchanged by the refused patch
    editor = CatalogEditor(control)
    editor.add_song("5", "Five", artist="Band", album="Album Ten", album_id="11", isrc="QZ5")
    editor.add_album("12", "Twelve", artist="Band", tracks=["5"])
    editor.add_music_video("20", "Video", storefronts=["jp"])
    editor.add_playlist("pl.cb4d1c09a2df4230a78d0395fe1f8fde", "List", curator="Me")
    editor.add_artist("30", "Band")
    seen.append(editor.document())
    seen.append(control.put_catalog(None))
    return seen


def test_every_control_surface_gives_the_same_answers() -> None:
    python = exercise(create_app().mock)
    app = create_app()
    with LiveServer(app) as server:
        remote = exercise(AdminClient(server.url))
    assert remote == python
    assert python[0] is None
    assert python[-1] is None
    assert python[1] == {"songs": [SONG]}
    assert python[2] == {"songs": [SONG, "2"], "albums": ["10"]}
    assert python[3]["songs"][0]["attributes"] == {"name": "Uno"}
    assert python[4] == python[3]
    document = python[5]
    assert [s["id"] if isinstance(s, dict) else s for s in document["songs"]] == ["1", "2", "5"]
    five = document["songs"][2]
    assert five["relationships"] == {"albums": {"data": [{"id": "11", "type": "albums"}]}}
    assert five["attributes"]["isrc"] == "QZ5"
    albums = {a["id"] if isinstance(a, dict) else a: a for a in document["albums"]}
    assert albums["11"]["attributes"]["name"] == "Album Ten"  # added with its song
    assert albums["12"]["relationships"]["tracks"]["data"] == [{"id": "5", "type": "songs"}]
    assert document["music-videos"][0][EXTENSION] == {"storefronts": ["jp"]}
    assert document["playlists"][0]["attributes"]["curatorName"] == "Me"
    assert document["artists"] == [{"id": "30", "attributes": {"name": "Band"}}]


def test_admin_api_refuses_bad_catalogs_and_changes_nothing() -> None:
    app = create_app(catalog={"songs": ["1"]})
    with LiveServer(app) as server:
        status, body = admin(server.url, "PUT", "/catalog", {"songs": [{"name": "x"}]})
        assert status == 400
        assert "'catalog'['songs'][0]" in body["errors"][0]["detail"]
        status, body = admin(server.url, "PATCH", "/catalog", ["1"])
        assert status == 400
        assert "object of resources" in body["errors"][0]["detail"]
        status, body = admin(server.url, "PATCH", "/catalog", {"stations": ["1"]})
        assert status == 400
        assert "'stations'" in body["errors"][0]["detail"]
        assert admin(server.url, "GET", "/catalog") == (200, {"songs": ["1"]})
        assert admin(server.url, "GET", "/catalog?bogus=1")[0] == 400


def test_a_namespace_has_its_own_catalog() -> None:
    app = create_app(catalog={"songs": ["1"]})
    token = mint_developer_token()
    caller = AsgiCaller(app, {"Authorization": f"Bearer {token}"})
    app.mock.put_catalog({"songs": ["2"]}, namespace="alice")
    assert app.mock.get_catalog() == {"songs": ["1"]}
    assert app.mock.get_catalog("alice") == {"songs": ["2"]}
    alice = {"Music-User-Token": "alice"}
    assert caller("/v1/catalog/us/songs/2", method="GET", headers=alice).status == 200
    assert caller("/v1/catalog/us/songs/2", method="GET").status == 404
    assert caller("/v1/me/library?ids[songs]=2", headers=alice).status == 202
    assert app.mock.get_library("alice")["songs"][0]["catalog_id"] == "2"


def test_rules_rate_limits_and_the_journal_apply_to_catalog_requests() -> None:
    app = create_app(catalog={"songs": [SONG]}, rate_limit={"requests": 1, "window_seconds": 60})
    caller = AsgiCaller(app, {"Authorization": f"Bearer {mint_developer_token()}"})
    path = "/v1/catalog/us/search"
    app.mock.add_rule(match={"method": "GET", "path": path}, action={"status": 503}, times=1)
    assert caller(f"{path}?term=one&types=songs", method="GET").status == 503
    assert caller(f"{path}?term=one&types=songs", method="GET").status == 200
    limited = caller("/v1/catalog/us/songs/1", method="GET")
    assert limited.status == 429
    entries = app.mock.journal_entries(path=path)
    assert [(e.status, e.rule) for e in entries] == [(503, "rule-1"), (200, None)]
    assert app.mock.journal_count(status=429) == 1


def test_the_demo_catalog_is_valid_and_still_adds_any_id() -> None:
    document = read_catalog("demo")
    app = create_app(catalog=document)
    caller = AsgiCaller(app, {"Authorization": f"Bearer {mint_developer_token()}"})
    found = caller("/v1/catalog/us/search?term=mock&types=songs", method="GET").json()
    assert found["results"]["songs"]["data"][0]["attributes"]["name"] == "Mock the Night"
    assert caller("/v1/catalog/us/songs/1564531303", method="GET").status == 404  # jp only
    assert caller("/v1/catalog/jp/songs/1564531303", method="GET").status == 200
    user = {"Music-User-Token": "demo-user"}
    assert caller("/v1/me/library?ids[songs]=1564531202,42", headers=user).status == 202
    library = app.mock.get_library("demo-user")
    assert [s["catalog_id"] for s in library["songs"]] == ["1564531202", "42"]
    assert [a["catalog_id"] for a in library["albums"]] == ["1577502911"]


def test_read_catalog_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read catalog file"):
        read_catalog(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        read_catalog(broken)


def test_a_catalog_is_checked_item_by_item_once() -> None:
    songs = [{"id": str(n), "attributes": {"name": f"Song {n}"}} for n in range(50)]
    app = create_app(catalog={"songs": songs})
    app.mock.patch_catalog({"songs": ["new"]})  # the 50 kept items are not checked again
    assert len(app.mock.get_catalog()["songs"]) == 51  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"\['songs'\]\[0\]: 'NaN'|finite"):
        app.mock.patch_catalog({"songs": [{"id": "x", "attributes": {"tempo": float("nan")}}]})


@pytest.mark.parametrize("document", [{"songs": [None]}, {"songs": ["1", {"id": "2"}, None]}])
def test_a_null_item_is_refused_everywhere(document: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"invalid setting 'catalog'\['songs'\]\[\d\]"):
        create_app(catalog=document)
    app = create_app()
    for change in (app.mock.put_catalog, app.mock.patch_catalog):
        with pytest.raises(ConfigError, match=r"'catalog'\['songs'\]"):
            change(document)
    assert app.mock.get_catalog() is None
    with LiveServer(app) as server:
        for method in ("PUT", "PATCH"):
            status, body = admin(server.url, method, "/catalog", document)
            assert status == 400
            assert "'catalog'['songs']" in body["errors"][0]["detail"]


def test_concurrent_patches_all_land() -> None:
    app = create_app(catalog={"songs": ["0"]})
    threads = [
        threading.Thread(target=app.mock.patch_catalog, args=({"songs": [str(n)]},))
        for n in range(1, 41)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(app.mock.get_catalog()["songs"], key=int) == [str(n) for n in range(41)]  # type: ignore[index]


def test_the_fake_owns_its_catalog_changes_to_the_callers_document_do_not_leak() -> None:
    document: dict[str, Any] = {"songs": [{"id": "1", "attributes": {"isrc": "QZ1"}}]}
    app = create_app(catalog=document)
    document["songs"].append({"id": "2"})
    document["songs"][0]["attributes"]["isrc"] = 5  # now invalid, in the caller's copy only
    caller = AsgiCaller(app, {"Authorization": f"Bearer {mint_developer_token()}"})
    assert caller("/v1/catalog/us/songs?filter[isrc]=QZ1", method="GET").json()["data"]
    assert caller("/v1/catalog/us/songs/2", method="GET").status == 404
    with pytest.raises(ConfigError, match=r"\['songs'\]\[0\]\['attributes'\]\['isrc'\]"):
        app.mock.configure(catalog=document)  # the changed item is checked again
    served = app.mock.get_catalog()
    served["songs"].append("3")  # type: ignore[index]  # a copy: the fake's is unchanged
    assert app.mock.get_catalog() == {"songs": [{"id": "1", "attributes": {"isrc": "QZ1"}}]}


def test_include_library_reads_the_library_once_per_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = create_app(catalog={"songs": [str(n) for n in range(1, 301)]})
    caller = AsgiCaller(app, {"Authorization": f"Bearer {mint_developer_token()}"})
    user = {"Music-User-Token": "reader"}
    assert caller("/v1/me/library?ids[songs]=1,2,3", headers=user).status == 202
    reads: list[int] = []
    items = app.mock.library.items

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return items(*args, **kwargs)

    monkeypatch.setattr(app.mock.library, "items", counted)
    ids = ",".join(str(n) for n in range(1, 301))
    body = caller(f"/v1/catalog/us/songs?ids={ids}&include=library", method="GET", headers=user)
    copies = [len(r["relationships"]["library"]["data"]) for r in body.json()["data"]]
    assert copies == [1, 1, 1] + [0] * 297
    assert len(reads) == 1


def test_user_storefronts_never_echo_a_token_and_are_bounded() -> None:
    with pytest.raises(ConfigError) as refused:
        create_app(user_storefronts={"eyJsecret-user-token": "USA"})
    assert "eyJsecret" not in str(refused.value)
    assert "user_storefronts" in str(refused.value)


def test_an_album_a_song_brings_along_must_be_addable_itself() -> None:
    songs = [
        {"id": "1", "relationships": {"albums": {"data": [{"id": "10", "type": "albums"}]}}},
        {"id": "2", "relationships": {"albums": {"data": [{"id": "a b", "type": "albums"}]}}},
        {"id": "3", "relationships": {"albums": {"data": [{"id": "30", "type": "playlists"}]}}},
        {"id": "4", "relationships": {"albums": {"data": [{"id": "40", "type": "albums"}]}}},
    ]
    app = create_app(catalog={"songs": songs, "albums": ["40", "a b"]})
    caller = AsgiCaller(app, {"Authorization": f"Bearer {mint_developer_token()}"})
    user = {"Music-User-Token": "albums"}
    assert caller("/v1/me/library?ids[songs]=1,2,3,4", headers=user).status == 202
    library = app.mock.get_library("albums")
    assert [s["catalog_id"] for s in library["songs"]] == ["1", "2", "3", "4"]
    # 10: not in the catalog; "a b": not an album id; 30: not an album
    assert [a["catalog_id"] for a in library["albums"]] == ["40"]


def test_search_needs_its_parameters_and_its_links_keep_the_language() -> None:
    app = create_app(catalog={"songs": [f"{n}" for n in range(1, 8)]})
    caller = AsgiCaller(app, {"Authorization": f"Bearer {mint_developer_token()}"})
    missing = caller("/v1/catalog/us/search?term=song", method="GET").json()["errors"][0]
    assert missing["detail"] == "Parameter 'types' is required"
    assert missing["source"] == {"parameter": "types"}
    page = caller("/v1/catalog/us/search?term=song&types=songs&l=es-MX", method="GET").json()
    assert page["results"]["songs"]["next"].endswith("&l=es-MX")
    assert page["results"]["songs"]["href"].endswith("&l=es-MX")
