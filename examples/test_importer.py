"""The importer end to end against the fake: through ``apple_music_respx`` (the client keeps
Apple's URL) and against ``apple_music_server.url`` (a real socket), in every plugin mode:

    pytest examples/test_importer.py                          # in process + per-session server
    pytest examples/test_importer.py --apple-music-url URL    # an external server

Invariant of the property test: every CSV row is added (and in the library read back), not
found, or failed with a reason — never silently lost — whatever the fake does.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mockserver.catalog import read_catalog
from pytest_plugin import AppleMusicMock, AppleMusicSession
from pytest_plugin.strategies import Behaviour, behaviours, catalogs

from importer import API, Importer, Report, Row, main, read_rows

ROWS = Path(__file__).with_name("importer_rows.csv")
DEMO_ADDED = {
    2: "1564531202",  # by ISRC
    3: "1564531203",  # by ISRC, written in lower case with dashes
    4: "1564531301",  # by search: no ISRC
    5: "1564531302",  # by search: not an ISRC
    6: "1564531206",  # by search: an ISRC the catalog does not know
}


@pytest.fixture(params=["respx", "server"])
def base_url(request: pytest.FixtureRequest, apple_music: AppleMusicMock) -> str:
    """Where the importer sends its requests: Apple's URL, answered in process by
    ``apple_music_respx``, or the fake's socket."""
    if request.param == "respx":
        request.getfixturevalue("apple_music_respx")
        return API
    return str(request.getfixturevalue("apple_music_server").url)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def importer(http: httpx.Client, mock: AppleMusicMock, base_url: str, **options: Any) -> Importer:
    options.setdefault("backoff", 0)
    return Importer(
        http,
        developer_token=mock.developer_token,
        user_token=mock.user_token,
        base_url=base_url,
        **options,
    )


def song(number: int) -> dict[str, Any]:
    return {
        "id": str(1_700_000_000 + number),
        "attributes": {
            "name": f"Track {number}",
            "artistName": "The Batch Band",
            "isrc": f"QZBBB26{number:05d}",
        },
    }


def test_imports_the_demo_rows(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    apple_music.configure(catalog=read_catalog("demo"))
    rows = read_rows(ROWS)
    report = importer(http, apple_music, base_url).run(rows)
    assert {row.line: id_ for row, id_ in report.added.items()} == DEMO_ADDED
    # Tokyo Storefront is only in the jp storefront; Never Recorded is in no catalog.
    assert [row.title for row in report.not_found] == ["Tokyo Storefront", "Never Recorded"]
    assert report.failed == {}
    apple_music.assert_added(songs=list(DEMO_ADDED.values()), exactly=True)
    # One ISRC lookup (three valid ISRCs), five searches, one add, one page read back.
    assert len(apple_music.requests(path="/v1/catalog/us/songs")) == 1
    assert len(apple_music.requests(path="/v1/catalog/us/search")) == 5
    assert [e.status for e in apple_music.requests(method="POST")] == [202]
    assert len(apple_music.requests(path="/v1/me/library/songs")) == 1
    apple_music.assert_no_contract_violations()


def test_main_prints_the_report(
    apple_music: AppleMusicMock, base_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    apple_music.configure(catalog=read_catalog("demo"))
    tokens = ["--developer-token", apple_music.developer_token]
    tokens += ["--user-token", apple_music.user_token]
    assert main([str(ROWS), "--base-url", base_url, *tokens]) == 0
    out = capsys.readouterr().out
    assert out.startswith("added 5, not found 2, failed 0\n"), out
    assert "not found: line 8 'Never Recorded' by 'Nobody'" in out


def test_batches_lookups_and_adds_and_reads_every_page(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    songs = [song(n) for n in range(130)]
    apple_music.configure(catalog={"songs": songs})
    rows = [
        Row(n + 2, s["attributes"]["name"], "", s["attributes"]["isrc"])
        for n, s in enumerate(songs)
    ]
    report = importer(http, apple_music, base_url, batch_size=50).run(rows)
    assert list(report.added.values()) == [s["id"] for s in songs]
    lookups = apple_music.requests(path="/v1/catalog/us/songs")
    assert [e.query.count("%2C") + 1 for e in lookups] == [25] * 5 + [5]
    adds = apple_music.requests(method="POST")
    assert [len(e.ids["songs"]) for e in adds] == [50, 50, 30]
    assert len(apple_music.requests(path="/v1/me/library/songs")) == 2  # 100 + 30


def test_retries_with_backoff_honouring_retry_after(
    apple_music: AppleMusicMock, base_url: str, http: httpx.Client
) -> None:
    apple_music.configure(catalog={"songs": [song(1), song(2)]})
    apple_music.add_rule(
        match={"method": "GET", "path": "/v1/catalog/us/songs"},
        sequence=[{"status": 503}, {"status": 429, "headers": {"Retry-After": "7"}}],
    )
    apple_music.add_rule(sequence=[{"fault": "connection_reset"}])  # the add
    delays: list[float] = []
    rows = [Row(2, "Track 1", "", song(1)["attributes"]["isrc"]), Row(3, "Track 2", "")]
    client = importer(
        http, apple_music, base_url, backoff=0.001, max_delay=0.01, sleep=delays.append
    )
    report = client.run(rows)
    assert report.added == {rows[0]: song(1)["id"], rows[1]: song(2)["id"]}
    assert delays == [0.001, 0.01, 0.001]  # backoff, Retry-After (capped), backoff
    assert [e.status for e in apple_music.requests(path="/v1/catalog/us/songs")] == [503, 429, 200]


@pytest.mark.parametrize(
    ("action", "attempts", "why"),
    [
        ({"status": 503}, 3, "add: HTTP 503 50300 (gave up after 3 attempts)"),
        ({"status": 403}, 1, "add: HTTP 403 40300"),  # a refusal is not retried
    ],
)
def test_rows_whose_add_keeps_failing_are_reported_failed(
    apple_music: AppleMusicMock,
    base_url: str,
    http: httpx.Client,
    action: dict[str, Any],
    attempts: int,
    why: str,
) -> None:
    apple_music.configure(catalog={"songs": [song(1)]})
    apple_music.add_rule(action=action)
    row = Row(2, "Track 1", "The Batch Band")
    report = importer(http, apple_music, base_url, max_attempts=3).run([row])
    assert (report.added, report.not_found, report.failed) == ({}, [], {row: why})
    assert len(apple_music.requests(method="POST")) == attempts
    assert apple_music.library("songs") == []


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalog=catalogs(max_songs=8, storefronts=["us", "gb"]))
@pytest.mark.parametrize("route", ["respx", "server"])
def test_a_second_run_changes_nothing(
    apple_music_session: AppleMusicSession, route: str, catalog: dict[str, Any]
) -> None:
    """Every song of a generated catalog, by ISRC: the second run finds the same songs and
    the library is what the first run left."""
    rows = [
        Row(n, s["attributes"]["name"], s["attributes"]["artistName"], s["attributes"]["isrc"])
        for n, s in enumerate(catalog["songs"], start=2)
    ]
    with apple_music_session.fresh() as mock, httpx.Client() as http:
        mock.configure(catalog=catalog)
        base = API if route == "respx" else apple_music_session.server_url
        reports, libraries = [], []
        for _ in range(2):
            if route == "respx":
                with apple_music_session.respx():
                    reports.append(importer(http, mock, base).run(rows))
            else:
                reports.append(importer(http, mock, base).run(rows))
            libraries.append(mock.library("songs"))
    first, second = reports
    assert first.added == second.added
    assert (first.failed, second.failed) == ({}, {})
    available = [
        s["id"]
        for s in catalog["songs"]
        if "us" in s.get("x-apple-music-mock", {}).get("storefronts", ["us"])
    ]
    assert list(first.added.values()) == available
    assert libraries[0] == libraries[1]


# --- the property ---------------------------------------------------------------------------

#: Where a behaviour's answers go: the add (the default), the ISRC lookup, the search, or the
#: read-back.
TARGETS = [
    None,
    {"method": "GET", "path": "/v1/catalog/us/songs"},
    {"method": "GET", "path": "/v1/catalog/us/search"},
    {"method": "GET", "path": "/v1/me/library/songs"},
]


@st.composite
def imports(draw: st.DrawFn) -> tuple[dict[str, Any], list[Row]]:
    """A catalog and a CSV about it: its songs by ISRC, by title and artist, by a wrong ISRC,
    in any order, some twice, and songs it does not have."""
    catalog = draw(catalogs(max_songs=6, storefronts=["us", "gb"]))
    cells: list[tuple[str, str, str]] = []
    for item in catalog["songs"]:
        attributes = item["attributes"]
        isrc = draw(st.sampled_from([attributes["isrc"], "", "QZZZZ0000000", "n/a"]))
        title = draw(st.sampled_from([attributes["name"], attributes["name"].upper()]))
        cells += [(title, attributes["artistName"], isrc)] * draw(st.integers(1, 2))
    unknown = st.tuples(
        st.text("xyz ", min_size=1, max_size=8).map(str.strip), st.just(""), st.just("")
    )
    cells += draw(st.lists(unknown, max_size=2))
    cells = draw(st.permutations(cells))
    return catalog, [Row(line, *cell) for line, cell in enumerate(cells, start=2)]


def check_every_row_is_accounted_for(
    catalog: dict[str, Any], rows: list[Row], report: Report, library: list[str], clean: bool
) -> None:
    outcomes = [set(report.added), set(report.not_found), set(report.failed)]
    assert sum(map(len, outcomes)) == len(rows), f"a row is reported twice: {report}"
    assert set().union(*outcomes) == set(rows), f"rows lost: {set(rows) - set().union(*outcomes)}"
    songs = {s["id"]: s for s in catalog["songs"]}
    for row, id_ in report.added.items():
        assert id_ in library, f"{row} reported added as {id_}, not in the library"
        attributes = songs[id_]["attributes"]
        assert (
            row.isrc == attributes["isrc"] or row.title.casefold() == attributes["name"].casefold()
        )
    for row in report.not_found:  # a song available in us is found
        listed = [
            s
            for s in songs.values()
            if s["attributes"]["isrc"] == row.isrc
            or s["attributes"]["name"].casefold() == row.title.casefold()
        ]
        assert all(
            "us" not in s.get("x-apple-music-mock", {}).get("storefronts", ["us"]) for s in listed
        ), row
    for row, why in report.failed.items():
        assert why, row
    if clean:
        assert report.failed == {}, report


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=imports(),
    behaviour=st.sampled_from(TARGETS).flatmap(lambda m: behaviours(max_steps=4, match=m)),
)
@pytest.mark.parametrize("route", ["respx", "server"])
def test_every_row_is_added_not_found_or_failed(
    apple_music_session: AppleMusicSession,
    route: str,
    data: tuple[dict[str, Any], list[Row]],
    behaviour: Behaviour,
) -> None:
    catalog, rows = data
    with apple_music_session.fresh() as mock, httpx.Client() as http:
        mock.configure(catalog=catalog)
        behaviour.install(mock)
        if route == "respx":
            with apple_music_session.respx():
                report = importer(http, mock, API).run(rows)
        else:
            report = importer(http, mock, apple_music_session.server_url).run(rows)
        # At most 4 misbehaving answers per request, 5 attempts: only drops can make a row fail.
        clean = behaviour.drop_rate == 0
        event(f"some rows failed: {bool(report.failed)}; some not found: {bool(report.not_found)}")
        check_every_row_is_accounted_for(catalog, rows, report, mock.library("songs"), clean)
