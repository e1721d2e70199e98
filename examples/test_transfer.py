"""The playlist transfer end to end against the fake: through ``apple_music_respx`` (the
client keeps Apple's URL) and against ``apple_music_server.url`` (a real socket), in every
plugin mode:

    pytest examples/test_transfer.py                          # in process + per-session server
    pytest examples/test_transfer.py --apple-music-url URL    # an external server

Invariant of the property test: every track of the source playlist is matched (and in the
library playlist read back), not found, or failed with a reason; run twice, the second run
adds nothing and the playlist holds each match once, in the source's order.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mockserver.catalog import read_catalog
from pytest_plugin import AppleMusicMock, AppleMusicSession
from pytest_plugin.strategies import Behaviour, behaviours, catalogs

from importer import API
from transfer import Transfer, TransferReport, main

DEMO = "pl.cb4d1c09a2df4230a78d0395fe1f8fde"
#: The demo playlist's songs in the us storefront, in its order (the jp-only one is left out).
DEMO_US = ["1564531202", "1564531203", "1564531204", "1564531205", "1564531206"]
DEMO_US += ["1564531301", "1564531302"]
EXT = "x-apple-music-mock"


@pytest.fixture(params=["respx", "server"])
def base_url(request: pytest.FixtureRequest, apple_music: AppleMusicMock) -> str:
    """Where the transfer sends its requests: Apple's URL, answered in process by
    ``apple_music_respx``, or the fake's socket."""
    if request.param == "respx":
        request.getfixturevalue("apple_music_respx")
        return API
    return str(request.getfixturevalue("apple_music_server").url)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def transfer(http: httpx.Client, mock: AppleMusicMock, base_url: str, **options: Any) -> Transfer:
    options.setdefault("backoff", 0)
    return Transfer(
        http,
        developer_token=mock.developer_token,
        user_token=mock.user_token,
        base_url=base_url,
        **options,
    )


def test_transfers_the_demo_playlist_twice_without_duplicates(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    apple_music.configure(catalog=read_catalog("demo"))
    first = transfer(http, apple_music, base_url).run(DEMO, source_storefront="jp")
    assert (first.error, first.name, first.created) == ("", "Offline Essentials", True)
    assert first.wanted == DEMO_US
    assert [row.title for row in first.not_found] == ["Tokyo Storefront"]  # jp only
    assert (first.added, first.read_back, first.missing) == (7, DEMO_US, [])
    second = transfer(http, apple_music, base_url).run(DEMO, source_storefront="jp")
    assert (second.playlist_id, second.created, second.added) == (first.playlist_id, False, 0)
    assert second.read_back == DEMO_US
    apple_music.assert_playlist("Offline Essentials", tracks=DEMO_US)
    assert len(apple_music.requests(method="POST", path="/v1/me/library/playlists")) == 1
    assert len(apple_music.requests(method="POST")) == 2  # one create, one append
    assert len(apple_music.requests(path="/v1/me/storefront")) == 2
    apple_music.assert_no_contract_violations()


def test_main_prints_the_report(
    apple_music: AppleMusicMock, base_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    apple_music.configure(catalog=read_catalog("demo"))
    tokens = ["--developer-token", apple_music.developer_token]
    tokens += ["--user-token", apple_music.user_token, "--base-url", base_url]
    assert main([DEMO, *tokens]) == 0
    out = capsys.readouterr().out
    assert out.startswith("'Offline Essentials' (created p."), out
    assert "matched 7, not found 0, failed 0, added 7, missing after 0" in out
    assert main(["pl.0123456789abcdef0123456789abcdef", *tokens]) == 1
    assert "stopped: HTTP 404 40400" in capsys.readouterr().out


def test_rejected_tokens_stop_at_the_storefront(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    apple_music.configure(
        catalog=read_catalog("demo"), revoked_user_tokens=[apple_music.user_token]
    )
    report = transfer(http, apple_music, base_url).run(DEMO)
    assert report.error == "tokens rejected? storefront: HTTP 403 40300"
    assert str(report) == f"{DEMO}: stopped: {report.error}"
    assert [e.path for e in apple_music.requests()] == ["/v1/me/storefront"]


def song(id_: str, name: str, isrc: str, where: list[str]) -> dict[str, Any]:
    attributes = {"name": name, "artistName": "The Transfer Band", "isrc": isrc}
    return {"id": id_, "attributes": attributes, EXT: {"storefronts": where}}


def test_matches_by_isrc_then_by_search_in_the_users_storefront(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    """A gb playlist for a us user: one song has the same ISRC in us, one only the same
    title (a different ISRC), one nothing."""
    songs = [
        song("1", "Same Code", "GBAAA2600001", ["gb"]),
        song("2", "Same Code", "GBAAA2600001", ["us"]),
        song("3", "Same Title", "GBAAA2600003", ["gb"]),
        song("4", "Same Title", "USAAA2600004", ["us"]),
        song("5", "Only Here", "GBAAA2600005", ["gb"]),
    ]
    tracks = {"data": [{"id": n, "type": "songs"} for n in ("1", "3", "5")]}
    playlist = {
        "id": "pl.1",
        "attributes": {"name": "Abroad"},
        "relationships": {"tracks": tracks},
    }
    apple_music.configure(catalog={"songs": songs, "playlists": [playlist]})
    report = transfer(http, apple_music, base_url).run("pl.1", source_storefront="gb")
    assert report.wanted == ["2", "4"]
    assert [row.title for row in report.not_found] == ["Only Here"]
    assert report.read_back == ["2", "4"]
    searches = apple_music.requests(path="/v1/catalog/us/search")
    assert len(searches) == 2  # "Same Title" and "Only Here"


def test_a_lost_append_answer_is_not_sent_again_blindly(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    apple_music.configure(catalog=read_catalog("demo"))
    client = transfer(http, apple_music, base_url)
    playlist_id, created = client.find_or_create("Offline Essentials", "")
    assert created
    path = f"/v1/me/library/playlists/{playlist_id}/tracks"
    apple_music.add_rule(
        match={"method": "POST", "path": path},
        sequence=[{"fault": "connection_reset"}, {"status": 503}],
    )
    report = client.run(DEMO)
    assert (report.playlist_id, report.created, report.read_back) == (playlist_id, False, DEMO_US)
    assert [e.status for e in apple_music.requests(method="POST", path=path)][-1] == 204


class LosesAnswers(httpx.BaseTransport):
    """Sends every request on to the fake (through ``httpx.HTTPTransport``, which
    ``apple_music_respx`` answers in process), then loses the answer of the first ``lose``
    successful requests whose method and path match ``where`` (a regular expression on
    "METHOD path"): the fake applied them, the client sees a broken connection. ``created``
    is told each library playlist's id as the fake answers its create."""

    def __init__(
        self, where: str, lose: int = 1, created: Callable[[str], None] | None = None
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.where, self.lose, self.lost, self.created = re.compile(where), lose, 0, created

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.inner.handle_request(request)
        call = f"{request.method} {request.url.path}"
        if answer.status_code == 201 and call == "POST /v1/me/library/playlists":
            answer.read()
            if self.created is not None:
                self.created(answer.json()["data"][0]["id"])
        if answer.is_success and self.lost < self.lose and self.where.fullmatch(call):
            self.lost += 1
            answer.read()
            answer.close()
            raise httpx.ReadError("the answer was lost after the fake applied it", request=request)
        return answer

    def close(self) -> None:
        self.inner.close()


CREATE = "POST /v1/me/library/playlists"
APPEND = "POST /v1/me/library/playlists/[^/]+/tracks"


@pytest.mark.parametrize("where", [CREATE, APPEND])
def test_an_answer_lost_after_the_change_was_made_is_not_sent_again(
    apple_music: AppleMusicMock, base_url: str, where: str
) -> None:
    """The create (or the append) reaches the fake and is made; its answer never arrives.
    The transfer looks again and finds the playlist (the tracks) instead of sending it again:
    one playlist, each track once."""
    apple_music.configure(catalog=read_catalog("demo"))
    transport = LosesAnswers(where, lose=2)
    with httpx.Client(transport=transport) as http:
        first = transfer(http, apple_music, base_url).run(DEMO, source_storefront="jp")
        second = transfer(http, apple_music, base_url).run(DEMO, source_storefront="jp")
    assert transport.lost == 1  # one change made; nothing else to lose
    assert (first.error, first.read_back, second.read_back) == ("", DEMO_US, DEMO_US)
    assert (first.created, second.added) == (where == APPEND, 0)
    assert first.added == (0 if where == APPEND else len(DEMO_US))
    assert first.playlist_id == second.playlist_id
    apple_music.assert_playlist("Offline Essentials", tracks=DEMO_US)
    names = [p["name"] for p in apple_music.get_library(apple_music.user_token)["playlists"]]
    assert names == ["Offline Essentials"]
    creates = apple_music.requests(method="POST", path="/v1/me/library/playlists")
    assert len(creates) == 1
    assert len(apple_music.requests(method="POST")) == 2  # one create, one append


def test_every_page_of_a_long_source_is_read_through_faults(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    """105 tracks: the playlist carries the first 100, ``next`` the rest; a refused and a
    broken page are read again."""
    songs = [song(str(n), f"Song {n}", f"USAAA26{n:05d}", ["us"]) for n in range(1, 106)]
    tracks = {"data": [{"id": s["id"], "type": "songs"} for s in songs]}
    playlist = {"id": "pl.1", "attributes": {"name": "Long"}, "relationships": {"tracks": tracks}}
    apple_music.configure(catalog={"songs": songs, "playlists": [playlist]})
    path = "/v1/catalog/us/playlists/pl.1/tracks"
    apple_music.add_rule(
        match={"method": "GET", "path": path},
        sequence=[{"status": 503}, {"fault": "connection_reset"}],
    )
    report = transfer(http, apple_music, base_url).run("pl.1")
    assert report.read_back == [s["id"] for s in songs]
    assert [e.status for e in apple_music.requests(path=path)][-1] == 200


def test_a_refused_create_is_tried_again_after_a_growing_pause(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    """429 with ``Retry-After`` is honoured (capped at ``max_delay``); without one the pause
    doubles; no playlist is created twice."""
    apple_music.configure(catalog=read_catalog("demo"))
    apple_music.add_rule(
        match={"method": "POST", "path": "/v1/me/library/playlists"},
        sequence=[
            {"status": 503},
            {"status": 503},
            {"status": 429, "headers": {"Retry-After": "3"}},
        ],
    )
    pauses: list[float] = []
    client = transfer(
        http, apple_music, base_url, backoff=0.25, max_delay=2.0, sleep=pauses.append
    )
    report = client.run(DEMO)
    assert (report.error, report.created, report.read_back) == ("", True, DEMO_US)
    assert pauses == [0.25, 0.5, 2.0]
    assert len(apple_music.requests(method="POST", path="/v1/me/library/playlists")) == 4


def test_a_create_refused_every_time_stops_the_run(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    apple_music.configure(catalog=read_catalog("demo"))
    apple_music.add_rule(
        match={"method": "POST", "path": "/v1/me/library/playlists"}, action={"status": 503}
    )
    pauses: list[float] = []
    report = transfer(http, apple_music, base_url, sleep=pauses.append, backoff=0.1).run(DEMO)
    assert report.error == "create playlist: HTTP 503 50300"
    assert pauses == [0.1, 0.2, 0.4, 0.8, 1.0]  # bounded: max_attempts, each capped
    assert len(apple_music.requests(method="POST", path="/v1/me/library/playlists")) == 5


# --- the property ---------------------------------------------------------------------------

#: Where a behaviour's answers go: the token check, the source playlist and its track pages,
#: the playlist lookups and create, the append, the ISRC lookup, the search. ``{source}`` is
#: the source playlist's path, ``{created}`` the created library playlist's id. (The source's
#: track pages come only after 100 tracks: test_every_page_of_a_long_source_is_read_through_faults.)
TARGETS = [
    {"method": "GET", "path": "/v1/me/storefront"},
    {"method": "GET", "path": "{source}"},
    {"method": "GET", "path": "{source}/tracks"},
    {"method": "GET", "path": "/v1/me/library/playlists"},
    {"method": "POST", "path": "/v1/me/library/playlists"},
    {"method": "POST", "path": "/v1/me/library/playlists/{created}/tracks"},
    {"method": "GET", "path": "/v1/catalog/us/songs"},
    {"method": "GET", "path": "/v1/catalog/us/search"},
]


def where(item: dict[str, Any]) -> list[str]:
    return list(item.get(EXT, {}).get("storefronts", ["us", "gb"]))


def check_every_track_is_accounted_for(
    catalog: dict[str, Any], source: dict[str, Any], report: TransferReport
) -> None:
    songs = {s["id"]: s for s in catalog["songs"]}
    storefront = where(source)[0]
    expected = [
        songs[t["id"]]
        for t in source["relationships"]["tracks"]["data"]
        if storefront in where(songs[t["id"]])
    ]
    outcomes = [set(report.matched), set(report.not_found), set(report.failed)]
    assert sum(map(len, outcomes)) == len(expected), report
    assert [row.line for row in sorted(set().union(*outcomes), key=lambda r: r.line)] == list(
        range(1, len(expected) + 1)
    )
    for row, id_ in report.matched.items():
        attributes = songs[id_]["attributes"]
        assert "us" in where(songs[id_])
        assert (
            row.isrc == attributes["isrc"] or row.title.casefold() == attributes["name"].casefold()
        )
    for row in report.not_found:  # nothing in us has its ISRC or title
        assert not any(
            "us" in where(s)
            and (s["attributes"]["isrc"] == row.isrc or s["attributes"]["name"] == row.title)
            for s in songs.values()
        ), row
    assert all(report.failed.values()), report


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    catalog=catalogs(max_songs=6, storefronts=["us", "gb"], min_playlists=1, max_playlists=1),
    target=st.sampled_from(TARGETS),
    behaviour=behaviours(max_steps=4, drops=False),
    lost=st.sampled_from(["", CREATE, APPEND]),
)
@pytest.mark.parametrize("route", ["respx", "server"])
def test_every_track_is_transferred_once_not_found_or_failed(
    apple_music_session: AppleMusicSession,
    route: str,
    catalog: dict[str, Any],
    target: dict[str, str],
    behaviour: Behaviour,
    lost: str,
) -> None:
    [source] = catalog["playlists"]
    storefront = where(source)[0]
    source_path = f"/v1/catalog/{storefront}/playlists/{source['id']}"
    with apple_music_session.fresh() as mock:
        mock.configure(catalog=catalog)
        match = {**target, "path": target["path"].replace("{source}", source_path)}
        later = "{created}" in match["path"]
        steps = list(behaviour.steps)

        def created(playlist_id: str) -> None:  # the append's path is known from here on
            if later and steps:
                path = match["path"].replace("{created}", playlist_id)
                mock.add_rule(match={**match, "path": path}, sequence=steps)

        dataclasses.replace(
            behaviour, match=match, steps=() if later else behaviour.steps
        ).install(mock)
        base = API if route == "respx" else apple_music_session.server_url
        transport = LosesAnswers(lost or "(?!)", created=created)
        reports = []
        with httpx.Client(transport=transport) as http:
            for _ in range(2):
                client = transfer(http, mock, base)
                if route == "respx":
                    with apple_music_session.respx():
                        reports.append(client.run(source["id"], source_storefront=storefront))
                else:
                    reports.append(client.run(source["id"], source_storefront=storefront))
        first, second = reports
        event(f"first run stopped: {bool(first.error)}; not found: {bool(first.not_found)}")
        event(f"answer lost after the change was made: {bool(transport.lost)}")
        # At most 4 misbehaving answers, 5 attempts each: both runs get through.
        assert (first.error, second.error) == ("", ""), (first.error, second.error)
        for report in reports:
            check_every_track_is_accounted_for(catalog, source, report)
            assert report.read_back == report.wanted  # each match once, in the source's order
        assert second.added == 0
        assert second.playlist_id == first.playlist_id
        names = [p["name"] for p in mock.get_library(mock.user_token)["playlists"]]
        assert names == [source["attributes"]["name"]]
