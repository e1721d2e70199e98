"""Near-miss lines (pytest_plugin/report.py): queries decoded, the raw target below only
when it differs."""

from __future__ import annotations

import pytest

from mockserver import JournalEntry
from pytest_plugin.report import decoded, explain


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("ids%5Bsongs%5D=1%2C2", "ids[songs]=1,2"),
        ("ids[songs]=1,2&l=en-US", "ids[songs]=1,2&l=en-US"),
        ("term=the+offline%20band", "term=the offline band"),
        ("ids&foo", "ids&foo"),  # bare keys keep their form
        ("a=%3D%26", "a==&"),  # decoded values may hold the separators: it is for reading
        ("bad=%ZZ", "bad=%ZZ"),  # a malformed escape is left as sent
        ("l=en%0A%23" + "2 POST /v1/me/library -> 202", "l=en\\n#2 POST /v1/me/library -> 202"),
        ("a=%00%1B%7F%E2%80%A8", "a=\\x00\\x1b\\x7f\\u2028"),  # what does not print, escaped
        ("term=caf%C3%A9", "term=café"),  # printable text is shown as it reads
    ],
)
def test_queries_are_decoded_for_reading(raw: str, shown: str) -> None:
    assert decoded(raw) == shown


def entry(query: str, **more: object) -> JournalEntry:
    fields: dict[str, object] = {
        "seq": 1,
        "time": 0.0,
        "method": "POST",
        "path": "/v1/me/library",
        "query": query,
        "headers": {},
        "ids": {},
        "status": 202,
    }
    fields.update(more)
    return JournalEntry(**fields)  # type: ignore[arg-type]  # a test's hand-made entry


def test_the_raw_target_follows_only_when_it_differs() -> None:
    encoded = explain(entry("ids%5Bsongs%5D=1564531202"))
    assert encoded.splitlines()[:2] == [
        "#1 POST /v1/me/library?ids[songs]=1564531202 -> 202",
        "    raw: /v1/me/library?ids%5Bsongs%5D=1564531202",
    ]
    plain = explain(entry("ids[songs]=1564531202"))
    assert plain == "#1 POST /v1/me/library?ids[songs]=1564531202 -> 202"
    assert explain(entry("")) == "#1 POST /v1/me/library -> 202"


def test_the_raw_line_comes_before_the_explanation() -> None:
    line = explain(
        entry(
            "ids%5Bartists%5D=1",
            status=400,
            code="40004",
            parameter="ids[artists]",
            detail="Parameter 'ids[artists]' is not allowed",
        )
    )
    assert line.splitlines() == [
        "#1 POST /v1/me/library?ids[artists]=1 -> 400 40004",
        "    raw: /v1/me/library?ids%5Bartists%5D=1",
        "    broke the contract on 'ids[artists]': Parameter 'ids[artists]' is not allowed",
        "    expected: ids[TYPE]=id1,id2 with TYPE one of albums, music-videos, playlists, songs",
    ]


def test_a_request_cannot_forge_report_lines() -> None:
    """A line break decoded from the query, the path or the detail stays on its line."""
    forged = "#2 POST /v1/me/library -> 202"
    line = explain(
        entry(
            "foo%0A" + forged.replace(" ", "%20"),
            path="/v1/me/library\n" + forged,
            status=400,
            code="40004",
            parameter="foo\n" + forged,
            detail="Parameter 'foo\n" + forged + "' is not allowed",
        )
    )
    assert not any(part.startswith("#2") for part in line.splitlines()), line
    assert line.splitlines()[0].startswith("#1 POST /v1/me/library\\n#2 POST")
    assert len(line.splitlines()) == 4  # the request, raw, broke the contract, expected
