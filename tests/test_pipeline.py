"""The checks of one configuration and the per-request record (mockserver/pipeline.py)."""

from __future__ import annotations

import gc
import time

from mockserver import create_app
from mockserver.journal import JournalRecord
from mockserver.pipeline import Exchange, read_headers


def test_read_headers_keeps_the_first_of_repeated_headers() -> None:
    raw = [
        (b"authorization", b"Bearer a.b.c"),
        (b"x-other", b"1"),
        (b"authorization", b"Bearer d.e.f"),
    ]
    assert read_headers(raw) == {"authorization": "Bearer a.b.c"}


def exchange(query: bytes, token: str) -> Exchange:
    headers = [(b"authorization", f"Bearer {token}".encode()), (b"music-user-token", b"user-1")]
    return Exchange(1, time.time(), "POST", "/v1/me/library", query, headers)


def test_records_are_exact_tuples_the_gc_can_forget(developer_token: str) -> None:
    app = create_app()
    pipeline = app.pipeline
    ex = exchange(b"ids[songs]=1,2,abc", developer_token)
    ex.user = "user-1"
    reply = pipeline.add(ex, read_headers(ex.headers))
    assert reply.status == 202
    ex.status = reply.status
    record = ex.record()
    assert type(record) is tuple
    assert len(record) == len(JournalRecord._fields)
    gc.collect()
    gc.collect()  # a tuple is untracked once its items are: at most a pass later
    assert not gc.is_tracked(record)
    entry = JournalRecord._make(record).entry()
    assert entry.ids == {"songs": ["1", "2", "abc"]}
    assert entry.added == {"songs": ["1", "2"]}
    assert entry.ignored == [{"type": "songs", "id": "abc", "reason": "wrong-shape"}]
    assert entry.headers["authorization"] != f"Bearer {developer_token}"


def test_failed_checks_leave_their_reason_on_the_exchange() -> None:
    app = create_app()
    ex = exchange(b"ids[songs]=1", "not-a-token")
    reply = app.pipeline.add(ex, read_headers(ex.headers))
    assert (reply.status, reply.body) == (401, b"")
    assert ex.reason is not None
    assert ex.reason.startswith("structure")
