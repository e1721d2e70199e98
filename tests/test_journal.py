"""The journal: what arrived, redacted, bounded, filterable (mockserver/journal.py)."""

from __future__ import annotations

import threading

import pytest

from mockserver import JournalEntry, create_app, fingerprint
from mockserver.journal import Journal

from support import USER_TOKEN, AsgiCaller, Harness


def test_entry_records_request_and_outcome(harness: Harness, dev_token: str) -> None:
    harness.call("/v1/me/library?ids%5Bsongs%5D=1,abc&l=en-US", headers={"X-Client": "demo"})
    harness.call("/v1/me/library?ids[artists]=7")
    ok, bad = harness.control.journal_entries()
    assert (ok.method, ok.path, ok.query) == (
        "POST",
        "/v1/me/library",
        "ids%5Bsongs%5D=1,abc&l=en-US",
    )
    assert ok.ids == {"songs": ["1", "abc"]}
    assert (ok.status, ok.code, ok.rule) == (202, None, None)
    assert ok.added == {"songs": ["1"]}
    assert ok.ignored == [{"type": "songs", "id": "abc", "reason": "wrong-shape"}]
    assert ok.headers["x-client"] == "demo"
    assert ok.user == fingerprint(USER_TOKEN)
    assert ok.seq < bad.seq
    assert (bad.status, bad.code, bad.parameter) == (400, "40004", "ids[artists]")
    assert bad.ids == {"artists": ["7"]}


def test_tokens_never_appear_whole(harness: Harness, dev_token: str) -> None:
    harness.call("/v1/me/library?ids[songs]=1")
    (entry,) = harness.control.journal_entries()
    text = repr(entry.to_json())
    assert dev_token not in text
    assert dev_token[:40] not in text
    assert USER_TOKEN not in text
    assert entry.headers["authorization"] == f"Bearer [redacted: {len(dev_token)} characters]"
    assert entry.headers["music-user-token"] == f"[redacted: {len(USER_TOKEN)} characters]"


def test_401_reason_is_recorded(harness: Harness) -> None:
    harness.call("/v1/me/library?ids[songs]=1", headers={"Authorization": "Bearer a.b.c"})
    (entry,) = harness.control.journal_entries()
    assert entry.status == 401
    assert entry.reason is not None
    assert entry.reason.startswith("structure")


def test_filters(harness: Harness) -> None:
    harness.call("/v1/me/library?ids[songs]=1", headers={"Music-User-Token": "alice"})
    harness.call("/v1/me/library?ids[songs]=", headers={"Music-User-Token": "alice"})
    harness.call("/v1/me/library?ids[songs]=2", headers={"Music-User-Token": "bob"})
    harness.call("/v1/me/library/songs", method="GET", headers={"Music-User-Token": "bob"})
    control = harness.control
    assert control.journal_count() == 4
    assert control.journal_count(user_token="alice") == 2
    assert control.journal_count(status=202) == 2
    assert control.journal_count(code="40005") == 1
    assert control.journal_count(method="GET") == 1
    assert control.journal_count(path="/v1/me/library/songs") == 1
    first = control.journal_entries()[0]
    assert control.journal_count(since=first.seq) == 3
    assert [e.seq for e in control.journal_entries(limit=2)] == [
        e.seq for e in control.journal_entries()[-2:]
    ]


def test_clear_everything_or_one_user(harness: Harness) -> None:
    harness.call("/v1/me/library?ids[songs]=1", headers={"Music-User-Token": "alice"})
    harness.call("/v1/me/library?ids[songs]=1", headers={"Music-User-Token": "bob"})
    harness.control.clear_journal(user_token="alice")
    assert [e.user for e in harness.control.journal_entries()] == [fingerprint("bob")]
    harness.control.clear_journal()
    assert harness.control.journal_count() == 0


def test_admin_and_docs_requests_are_not_journaled(auth_headers: dict[str, str]) -> None:
    app = create_app()
    call = AsgiCaller(app, auth_headers)
    call("/_mock/health", method="GET")
    call("/openapi.json", method="GET")
    call("/v1/me/libraries", method="GET")
    call("/v1/me/library?" + "x" * 9000)
    entries = app.mock.journal_entries()
    assert [(e.path, e.status) for e in entries] == [
        ("/v1/me/libraries", 404),
        ("/v1/me/library", 414),
    ]
    assert entries[1].code == "41400"


def test_ring_buffer_keeps_the_last_n_and_counts_overflow(auth_headers: dict[str, str]) -> None:
    app = create_app(journal_size=5)
    call = AsgiCaller(app, auth_headers)
    for n in range(12):
        call(f"/v1/me/library?ids[songs]={n + 1}")
    entries = app.mock.journal_entries()
    assert [e.ids["songs"] for e in entries] == [[str(n)] for n in range(8, 13)]
    assert app.mock.journal_stats() == {"size": 5, "kept": 5, "total": 12, "overflow": 7}
    app.mock.configure(journal_size=3)
    assert app.mock.journal_stats() == {"size": 3, "kept": 3, "total": 12, "overflow": 9}


def test_appends_are_exact_under_threads() -> None:
    journal = Journal(size=100_000)

    def write() -> None:
        for _ in range(2_000):
            journal.append(journal.begin(0.0, "POST", "/", b"", []))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = journal.entries()
    assert journal.total == len(entries) == 16_000
    assert len({e.seq for e in entries}) == 16_000


def test_entries_round_trip_through_json(harness: Harness) -> None:
    harness.call("/v1/me/library?ids[songs]=1")
    (entry,) = harness.control.journal_entries()
    assert JournalEntry.from_json(entry.to_json()) == entry


def test_journal_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="size=0 must be >= 1"):
        Journal(0)
