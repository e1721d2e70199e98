"""The stateful library and its read-back endpoints (mockserver/library.py)."""

from __future__ import annotations

import re

import pytest

from mockserver.policy import CatalogPolicy

from support import USER_TOKEN, Harness

ADD = "/v1/me/library?"


def catalog_ids(harness: Harness, type_: str = "songs", user: str = USER_TOKEN) -> list[str]:
    return [item["catalog_id"] for item in harness.control.get_library(user)[type_]]


def test_open_catalog_adds_every_well_shaped_id(harness: Harness) -> None:
    reply = harness.call(
        ADD
        + "ids[songs]=1,2&ids[albums]=3&ids[playlists]=pl.u-abc,pl.cb4d1c09a2df4230a78d0395fe1f8fde&ids[music-videos]=4"
    )
    assert reply.status == 202
    assert catalog_ids(harness) == ["1", "2"]
    assert catalog_ids(harness, "albums") == ["3"]
    assert catalog_ids(harness, "playlists") == ["pl.u-abc", "pl.cb4d1c09a2df4230a78d0395fe1f8fde"]
    assert catalog_ids(harness, "music-videos") == ["4"]


def test_library_ids_have_the_right_prefix_and_are_stable(harness: Harness) -> None:
    harness.call(ADD + "ids[songs]=1&ids[albums]=2&ids[playlists]=pl.u-x&ids[music-videos]=3")
    library = harness.control.get_library(USER_TOKEN)
    prefixes = {t: items[0]["library_id"][:2] for t, items in library.items()}
    assert prefixes == {"songs": "i.", "albums": "l.", "playlists": "p.", "music-videos": "i."}
    for items in library.values():
        assert re.fullmatch(r"[ilp]\.[0-9A-Za-z]{14}", items[0]["library_id"])
    harness.call(ADD + "ids[songs]=1")
    assert harness.control.get_library(USER_TOKEN) == library


def test_ignored_ids_are_journaled_with_their_reason(harness: Harness) -> None:
    harness.control.configure(catalog={"songs": ["1", "2"]}, unavailable_ids={"songs": ["2"]})
    harness.call(ADD + "ids[songs]=1,2,3,abc,i.gelNOzPuL41Lxo")
    assert catalog_ids(harness) == ["1"]
    (entry,) = harness.control.journal_entries()
    assert entry.added == {"songs": ["1"]}
    assert sorted((i["id"], i["reason"]) for i in entry.ignored) == [
        ("2", "unavailable"),
        ("3", "unknown"),
        ("abc", "wrong-shape"),
        ("i.gelNOzPuL41Lxo", "library"),
    ]


def test_drop_rate_is_seeded_and_silent(harness: Harness) -> None:
    harness.control.configure(drop_rate=0.2, seed=11)
    ids = [str(1000 + n) for n in range(200)]
    assert harness.call(ADD + "ids[songs]=" + ",".join(ids)).status == 202
    (entry,) = harness.control.journal_entries()
    dropped = entry.dropped["songs"]
    assert 15 < len(dropped) < 65
    assert sorted(catalog_ids(harness) + dropped) == sorted(ids)
    policy = CatalogPolicy(drop_rate=0.2, seed=11)
    assert dropped == [i for i in ids if policy.dropped(USER_TOKEN, "songs", i)]
    harness.call(ADD + "ids[songs]=" + ",".join(dropped))  # retries do not help (as seen)
    assert len(catalog_ids(harness)) == 200 - len(dropped)


def test_visibility_delay_on_the_clock(harness: Harness) -> None:
    harness.control.set_time(1_900_000_000)
    harness.control.configure(visibility_delay_seconds=5)
    harness.call(ADD + "ids[songs]=1", headers={"Authorization": None})  # 401: nothing added
    from mockserver import mint_developer_token

    token = mint_developer_token(issued_at=1_900_000_000)
    headers = {"Authorization": f"Bearer {token}"}
    assert harness.call(ADD + "ids[songs]=1", headers=headers).status == 202
    assert harness.call("/v1/me/library/songs", method="GET", headers=headers).json()["data"] == []
    harness.control.advance_time(5)
    (item,) = harness.call("/v1/me/library/songs", method="GET", headers=headers).json()["data"]
    assert item["attributes"]["playParams"]["catalogId"] == "1"


def test_read_back_items_are_shaped_as_apples(harness: Harness) -> None:
    harness.call(ADD + "ids[songs]=1564531202")
    body = harness.call("/v1/me/library/songs", method="GET").json()
    (item,) = body["data"]
    library_id = item["id"]
    assert item == {
        "id": library_id,
        "type": "library-songs",
        "href": f"/v1/me/library/songs/{library_id}",
        "attributes": {
            "name": "Song 1564531202",
            "playParams": {
                "id": library_id,
                "kind": "song",
                "isLibrary": True,
                "catalogId": "1564531202",
            },
        },
    }
    assert body["meta"] == {"total": 1}
    assert "next" not in body


@pytest.mark.parametrize(
    ("type_", "kind"),
    [("albums", "album"), ("playlists", "playlist"), ("music-videos", "musicVideo")],
)
def test_read_back_kinds(harness: Harness, type_: str, kind: str) -> None:
    id_ = "pl.u-abc" if type_ == "playlists" else "5"
    harness.call(ADD + f"ids[{type_}]={id_}")
    (item,) = harness.call(f"/v1/me/library/{type_}", method="GET").json()["data"]
    assert item["type"] == f"library-{type_}"
    assert item["attributes"]["playParams"]["kind"] == kind


def test_paging_with_limit_offset_and_next(harness: Harness) -> None:
    harness.control.put_library(USER_TOKEN, {"songs": [str(n) for n in range(1, 131)]})
    first = harness.call("/v1/me/library/songs", method="GET").json()
    assert len(first["data"]) == 25
    assert first["next"] == "/v1/me/library/songs?offset=25"
    assert first["meta"]["total"] == 130
    page = harness.call("/v1/me/library/songs?limit=100&offset=100", method="GET").json()
    alphabetical = sorted(f"Song {n}" for n in range(1, 131))
    assert [i["attributes"]["name"] for i in page["data"]] == alphabetical[100:]
    assert "next" not in page
    middle = harness.call("/v1/me/library/songs?limit=50&offset=25", method="GET").json()
    assert middle["next"] == "/v1/me/library/songs?offset=75&limit=50"
    collected, target = [], "/v1/me/library/songs"
    while target:
        body = harness.call(target, method="GET").json()
        collected += body["data"]
        target = body.get("next")
    assert len(collected) == 130


@pytest.mark.parametrize(
    ("query", "code", "parameter"),
    [
        ("limit=101", "40005", "limit"),
        ("limit=0", "40005", "limit"),
        ("limit=x", "40005", "limit"),
        ("offset=-1", "40005", "offset"),
        ("sort=name", "40004", "sort"),
    ],
)
def test_read_back_refuses_bad_paging(
    harness: Harness, query: str, code: str, parameter: str
) -> None:
    reply = harness.call(f"/v1/me/library/songs?{query}", method="GET")
    assert reply.status == 400
    assert (reply.error["code"], reply.error["source"]) == (code, {"parameter": parameter})


def test_read_back_needs_the_same_auth(harness: Harness) -> None:
    assert (
        harness.call("/v1/me/library/songs", method="GET", headers={"Authorization": None}).status
        == 401
    )
    assert (
        harness.call(
            "/v1/me/library/songs", method="GET", headers={"Music-User-Token": None}
        ).status
        == 403
    )
    assert harness.call("/v1/me/library/artists", method="GET").status == 404


def test_libraries_are_per_user(harness: Harness) -> None:
    harness.call(ADD + "ids[songs]=1", headers={"Music-User-Token": "alice"})
    harness.call(ADD + "ids[songs]=2", headers={"Music-User-Token": "bob"})
    assert catalog_ids(harness, user="alice") == ["1"]
    assert catalog_ids(harness, user="bob") == ["2"]


def test_put_library_replaces_and_validates(harness: Harness) -> None:
    from mockserver import ConfigError

    harness.call(ADD + "ids[songs]=1")
    harness.control.put_library(USER_TOKEN, {"albums": ["9"]})
    assert catalog_ids(harness) == []
    assert catalog_ids(harness, "albums") == ["9"]
    with pytest.raises(ConfigError):
        harness.control.put_library(USER_TOKEN, {"artists": ["1"]})
    assert catalog_ids(harness, "albums") == ["9"]
