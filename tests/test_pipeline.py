"""The one request path (mockserver/pipeline.py): every request journaled exactly once,
whatever happens on the way."""

from __future__ import annotations

import gc
from typing import Any

import httpx
import pytest

from mockserver import LiveServer, MockApp, TransportFault, create_app
from mockserver.journal import JournalRecord
from mockserver.pipeline import CLIENT_GONE

from support import USER_TOKEN, AsgiCaller, LiveCaller, call_asgi

SONGS = "/v1/me/library?ids[songs]=1,2,abc"


def _broken_check(app: MockApp) -> None:
    def explode(call: Any) -> None:
        raise RuntimeError("the check broke")

    app.mock.pipeline.checks = (*app.mock.pipeline.checks[:1], explode)


@pytest.mark.parametrize("rules", [0, 1, 20])
def test_a_failing_check_is_answered_and_journaled_once_as_a_500(
    auth_headers: dict[str, str], rules: int, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app()
    for number in range(rules):  # rules that never match
        app.mock.add_rule(match={"user_token": f"someone-else-{number}"}, action={"status": 503})
    _broken_check(app)
    reply = AsgiCaller(app, auth_headers)(SONGS)
    assert reply.status == 500
    assert reply.error["code"] == "50000"
    assert "RuntimeError: the check broke" in reply.error["detail"]
    (entry,) = app.mock.journal_entries()
    assert (entry.status, entry.code, entry.reason) == (500, "50000", "internal error")
    assert "the check broke" in caplog.text


def test_a_failing_check_is_a_500_on_a_live_server_too(auth_headers: dict[str, str]) -> None:
    app = create_app()
    _broken_check(app)
    with LiveServer(app) as server:
        assert LiveCaller(server, auth_headers)(SONGS).status == 500
    assert [e.status for e in app.mock.journal_entries()] == [500]


@pytest.mark.parametrize("rules", [0, 20])
@pytest.mark.parametrize("fault", ["connection_reset", "empty_response", "truncated_body"])
def test_a_transport_fault_is_journaled_once(
    auth_headers: dict[str, str], fault: str, rules: int
) -> None:
    app = create_app()
    for number in range(rules):
        app.mock.add_rule(match={"user_token": f"someone-else-{number}"}, action={"status": 503})
    app.mock.add_rule(action={"fault": fault}, times=1)
    with pytest.raises(TransportFault):
        AsgiCaller(app, auth_headers)(SONGS)
    (entry,) = app.mock.journal_entries()
    assert entry.fault == fault
    assert entry.status == (500 if fault == "truncated_body" else 0)
    assert app.mock.get_library(USER_TOKEN)["songs"] == []


def test_a_fault_that_fails_to_break_the_connection_is_still_journaled_once(
    auth_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app()
    app.mock.add_rule(action={"fault": "connection_reset"}, times=1)

    async def broken(*args: object) -> None:
        raise OSError("cannot break it")

    monkeypatch.setattr("mockserver.pipeline.perform_fault", broken)
    assert AsgiCaller(app, auth_headers)(SONGS).status == 500
    (entry,) = app.mock.journal_entries()
    assert (entry.status, entry.fault) == (500, "connection_reset")


def test_a_client_that_leaves_during_a_delay_adds_nothing(auth_headers: dict[str, str]) -> None:
    app = create_app()
    app.mock.add_rule(action={"delay": 5}, times=1)
    with LiveServer(app) as server, pytest.raises(httpx.ReadTimeout):
        httpx.post(server.url + SONGS, headers=auth_headers, timeout=0.3)
        # the server notices the disconnect at once, not after the 5 s delay
    for _ in range(100):
        if app.mock.journal_count():
            break
        import time

        time.sleep(0.02)
    (entry,) = app.mock.journal_entries()
    assert (entry.status, entry.rule, entry.reason) == (
        CLIENT_GONE,
        "rule-1",
        "client disconnected",
    )
    assert app.mock.get_library(USER_TOKEN)["songs"] == []


def test_rows_are_exact_tuples_the_gc_can_forget(auth_headers: dict[str, str]) -> None:
    app = create_app()
    assert AsgiCaller(app, auth_headers)(SONGS).status == 202
    (record,) = app.mock.journal.select()
    row = tuple(record)
    for _ in range(3):  # a tuple is untracked once its items are: a pass per nesting level
        gc.collect()
    assert type(row) is tuple
    assert len(row) == len(JournalRecord._fields)
    (stored,) = app.mock.journal._rows
    assert not gc.is_tracked(stored)
    entry = record.entry()
    assert entry.ids == {"songs": ["1", "2", "abc"]}
    assert entry.added == {"songs": ["1", "2"]}
    assert entry.ignored == [{"type": "songs", "id": "abc", "reason": "wrong-shape"}]


def test_head_is_served_where_get_is(auth_headers: dict[str, str]) -> None:
    app = create_app()
    headers = [(k.lower().encode(), v.encode()) for k, v in auth_headers.items()]
    reply = call_asgi(app, "HEAD", "/v1/me/library/songs", headers)
    assert (reply.status, reply.body) == (200, b"")
    reply = call_asgi(app, "DELETE", "/v1/me/library/songs", headers)
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, HEAD"
