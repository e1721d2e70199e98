"""Scripted rules, faults, sequences and rate limits, through a live server on loopback,
driven by the Python API and by the admin API alike (mockserver/rules.py)."""

from __future__ import annotations

import http.client
import time
from typing import Any

import pytest

from mockserver import ConfigError, LiveServer, Rule, create_app, mint_developer_token
from mockserver.chance import unit_interval
from mockserver.rules import Match, RequestFacts
from mockserver.wire import Query

from support import USER_TOKEN, Harness, LiveCaller

SONGS = "/v1/me/library?ids[songs]=1564531202"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "40005"),
        (403, "40300"),
        (404, "40400"),
        (405, "40500"),
        (500, "50001"),
        (503, "50300"),
        (409, "40900"),  # any 4xx or 5xx: <status>00 with the reason phrase as title
        (418, "41800"),
        (502, "50200"),
        (504, "50400"),
        (599, "59900"),
    ],
)
def test_status_rules_answer_with_apple_shaped_default_bodies(
    harness: Harness, status: int, code: str
) -> None:
    harness.control.add_rule(action={"status": status})
    reply = harness.call(SONGS)
    assert reply.status == status
    assert reply.error["code"] == code
    assert reply.error["status"] == str(status)
    assert len(reply.error["id"]) == 26


@pytest.mark.parametrize("status", [200, 302, 399, 600, "503"])
def test_a_rule_scripts_only_202_or_a_4xx_or_5xx(status: Any) -> None:
    with pytest.raises(ConfigError, match="must be 202 or a status from 400 to 599"):
        create_app().mock.add_rule(action={"status": status})


def test_scripted_429_is_the_seen_body_without_retry_after(harness: Harness) -> None:
    harness.control.add_rule(action={"status": 429})
    reply = harness.call(SONGS)
    assert reply.status == 429
    assert reply.json() == {
        "errors": [
            {
                "title": "Too Many Requests",
                "detail": "Request is forbidden",
                "status": "429",
                "code": "42900",
            }
        ]
    }
    assert "retry-after" not in reply.headers


def test_scripted_401_and_202_are_empty_and_202_adds_nothing(harness: Harness) -> None:
    harness.control.add_rule(action={"status": 401}, times=1)
    harness.control.add_rule(action={"status": 202}, times=1, priority=-1)
    first, second = harness.call(SONGS), harness.call(SONGS)
    assert (first.status, first.body) == (401, b"")
    assert (second.status, second.body) == (202, b"")
    assert harness.control.get_library(USER_TOKEN)["songs"] == []


def test_body_and_headers_override(harness: Harness) -> None:
    harness.control.add_rule(
        action={
            "status": 503,
            "body": {"errors": [{"title": "Down", "status": "503", "code": "50300"}]},
            "headers": {"retry-after": "2"},
        }
    )
    reply = harness.call(SONGS)
    assert reply.status == 503
    assert reply.json() == {"errors": [{"title": "Down", "status": "503", "code": "50300"}]}
    assert reply.headers["retry-after"] == "2"


def test_raw_string_body(harness: Harness) -> None:
    harness.control.add_rule(
        action={
            "status": 500,
            "body": "<html>oops</html>",
            "headers": {"content-type": "text/html"},
        }
    )
    reply = harness.call(SONGS)
    assert reply.body == b"<html>oops</html>"
    assert reply.headers["content-type"] == "text/html"


def test_fixed_delay(harness: Harness) -> None:
    harness.control.add_rule(action={"delay": 0.3}, times=1)
    start = time.monotonic()
    assert harness.call(SONGS).status == 202  # no status: normal behaviour after the delay
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    harness.call(SONGS)
    assert time.monotonic() - start < 0.3


def test_random_delay_stays_in_range(harness: Harness) -> None:
    harness.control.add_rule(action={"status": 500, "delay": [0.05, 0.15]}, times=3)
    for _ in range(3):
        start = time.monotonic()
        assert harness.call(SONGS).status == 500
        assert 0.05 <= time.monotonic() - start < 1.0


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("connection_reset", ConnectionResetError),
        ("empty_response", http.client.RemoteDisconnected),
        ("truncated_body", http.client.IncompleteRead),
    ],
)
def test_transport_faults(harness: Harness, fault: str, error: type[Exception]) -> None:
    harness.control.add_rule(action={"fault": fault}, times=1)
    with pytest.raises(error):
        harness.call(SONGS)
    assert harness.call(SONGS).status == 202  # the server itself is fine
    (entry, _) = harness.control.journal_entries()
    assert entry.fault == fault
    assert entry.rule == "rule-1"


def test_times_once_n_and_always(harness: Harness) -> None:
    harness.control.add_rule(action={"status": 500}, times=1, priority=2)
    harness.control.add_rule(action={"status": 503}, times=2, priority=1)
    harness.control.add_rule(action={"status": 429})
    assert [harness.call(SONGS).status for _ in range(6)] == [500, 503, 503, 429, 429, 429]


def test_sequence_then_normal_behaviour(harness: Harness) -> None:
    harness.control.add_rule(sequence=[{"status": 500}, {"status": 500}])
    assert [harness.call(SONGS).status for _ in range(4)] == [500, 500, 202, 202]
    assert harness.control.get_library(USER_TOKEN)["songs"][0]["catalog_id"] == "1564531202"


def test_sequence_with_normal_steps_cycles_for_times(harness: Harness) -> None:
    harness.control.add_rule(sequence=[{"status": 429}, {}], times=5)
    assert [harness.call(SONGS).status for _ in range(6)] == [429, 202, 429, 202, 429, 202]


def test_priority_beats_insertion_order(harness: Harness) -> None:
    harness.control.add_rule(action={"status": 500})
    harness.control.add_rule(action={"status": 503}, priority=5)
    assert harness.call(SONGS).status == 503


@pytest.mark.parametrize(
    ("match", "hit", "miss"),
    [
        ({"types": ["albums"]}, "/v1/me/library?ids[albums]=1", SONGS),
        ({"ids": ["42"]}, "/v1/me/library?ids[songs]=1,42", SONGS),
        ({"method": "GET", "path": "/v1/me/library/songs"}, "GET /v1/me/library/songs", SONGS),
    ],
)
def test_match_on_request_content(
    harness: Harness, match: dict[str, Any], hit: str, miss: str
) -> None:
    harness.control.add_rule(match=match, action={"status": 503})
    method, _, target = hit.rpartition(" ")
    assert harness.call(target, method=method or "POST").status == 503
    assert harness.call(miss).status == 202


def test_match_on_tokens_and_headers(harness: Harness) -> None:
    control, call = harness.control, harness.call
    control.add_rule(match={"user_token": "alice"}, action={"status": 403})
    control.add_rule(match={"team_id": "TEAMBBBBBB"}, action={"status": 500})
    control.add_rule(match={"key_id": "KEYCCCCCCC"}, action={"status": 503})
    control.add_rule(match={"headers": {"x-trace": "on"}}, action={"status": 404})
    control.add_rule(match={"headers": {"x-present": True}}, action={"status": 405})
    control.add_rule(
        match={"headers": {"origin": False}, "types": ["playlists"]}, action={"status": 429}
    )
    assert call(SONGS, headers={"Music-User-Token": "alice"}).status == 403
    team_b = mint_developer_token(team_id="TEAMBBBBBB")
    assert call(SONGS, headers={"Authorization": f"Bearer {team_b}"}).status == 500
    key_c = mint_developer_token(key_id="KEYCCCCCCC")
    assert call(SONGS, headers={"Authorization": f"Bearer {key_c}"}).status == 503
    assert call(SONGS, headers={"X-Trace": "on"}).status == 404
    assert call(SONGS, headers={"X-Trace": "off"}).status == 202
    assert call(SONGS, headers={"X-Present": ""}).status == 405
    playlists = "/v1/me/library?ids[playlists]=pl.u-abc"
    assert call(playlists).status == 429
    assert call(playlists, headers={"Origin": "https://x.example"}).status == 202


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        (2, [202, 500, 202, 202, 202]),
        ([1, 3], [500, 202, 500, 202, 202]),
        ({"from": 3}, [202, 202, 500, 500, 500]),
        ({"from": 2, "to": 3}, [202, 500, 500, 202, 202]),
    ],
)
def test_match_on_call_number(harness: Harness, calls: Any, expected: list[int]) -> None:
    harness.control.add_rule(match={"calls": calls}, action={"status": 500})
    assert [harness.call(SONGS).status for _ in range(5)] == expected


def outcomes(seed: int, probability: float = 0.5, count: int = 40) -> list[int]:
    app = create_app(seed=seed)
    app.mock.add_rule(action={"status": 500}, probability=probability)
    with LiveServer(app) as server:
        call = LiveCaller(
            server, {"Authorization": f"Bearer {mint_developer_token()}", "Music-User-Token": "u"}
        )
        return [call(SONGS).status for _ in range(count)]


def test_same_seed_same_outcomes_across_runs() -> None:
    first, second = outcomes(seed=7), outcomes(seed=7)
    assert first == second
    assert 5 < first.count(500) < 35
    assert outcomes(seed=8) != first


def test_invalid_rules_are_refused_and_change_nothing(harness: Harness) -> None:
    for bad in (
        {"action": {"status": 999}},
        {"action": {"status": 500}, "sequence": [{"status": 500}]},
        {"match": {"types": ["artists"]}, "action": {"status": 500}},
        {"action": {"fault": "meltdown"}},
        {"action": {"status": 500}, "times": 0},
        {"action": {"status": 500}, "probability": 2},
    ):
        with pytest.raises(ConfigError):
            harness.control.add_rule(bad)
    assert harness.control.list_rules() == []


def test_duplicate_rule_ids_are_refused(harness: Harness) -> None:
    harness.control.add_rule(id="flaky", action={"status": 500})
    with pytest.raises(ConfigError, match="already exists"):
        harness.control.add_rule(id="flaky", action={"status": 503})


def test_rules_can_be_listed_and_deleted(harness: Harness) -> None:
    rule = harness.control.add_rule(action={"status": 500}, times=3)
    assert isinstance(rule, Rule)
    harness.call(SONGS)
    (listed,) = harness.control.list_rules()
    assert (listed["id"], listed["applied"], listed["times"]) == (rule.id, 1, 3)
    assert harness.control.delete_rule(rule.id)
    assert not harness.control.delete_rule(rule.id)
    assert harness.call(SONGS).status == 202


# --- rate limiting -------------------------------------------------------------------------------


def test_rate_limit_per_team_on_the_clock(harness: Harness) -> None:
    harness.control.set_time(1_800_000_000)
    harness.control.configure(rate_limit={"requests": 3, "window_seconds": 10})
    token = mint_developer_token(issued_at=1_800_000_000, lifetime=3600)
    headers = {"Authorization": f"Bearer {token}"}
    assert [harness.call(SONGS, headers=headers).status for _ in range(4)] == [202, 202, 202, 429]
    limited = harness.call(SONGS, headers=headers)
    assert limited.json()["errors"] == [
        {
            "title": "Too Many Requests",
            "detail": "Request is forbidden",
            "status": "429",
            "code": "42900",
        }
    ]
    assert "retry-after" not in limited.headers
    other_team = mint_developer_token(team_id="OTHERTEAM1", issued_at=1_800_000_000, lifetime=3600)
    assert harness.call(SONGS, headers={"Authorization": f"Bearer {other_team}"}).status == 202
    harness.control.advance_time(10)
    assert harness.call(SONGS, headers=headers).status == 202
    rate_limited = harness.control.journal_entries(status=429)
    assert len(rate_limited) == 2
    assert {entry.rule for entry in rate_limited} == {"rate-limit"}


def test_rate_limit_retry_after_is_optional(harness: Harness) -> None:
    harness.control.configure(rate_limit={"requests": 1, "window_seconds": 60, "retry_after": 3})
    harness.call(SONGS)
    reply = harness.call(SONGS)
    assert reply.status == 429
    assert reply.headers["retry-after"] == "3"


def test_every_429_is_attributable(harness: Harness) -> None:
    harness.control.configure(rate_limit={"requests": 2, "window_seconds": 60})
    harness.control.add_rule(id="burst", match={"calls": 1}, action={"status": 429})
    statuses = [harness.call(SONGS).status for _ in range(5)]
    assert statuses == [429, 202, 202, 429, 429]
    assert [e.rule for e in harness.control.journal_entries(status=429)] == [
        "burst",
        "rate-limit",
        "rate-limit",
    ]


# --- pure pieces -----------------------------------------------------------------------------------


def test_unit_interval_is_reproducible_and_spread() -> None:
    values = [unit_interval(1, "r", n) for n in range(1000)]
    assert values == [unit_interval(1, "r", n) for n in range(1000)]
    assert 0.4 < sum(values) / len(values) < 0.6
    assert all(0 <= v < 1 for v in values)


def test_rule_json_round_trips() -> None:
    data = {
        "id": "r",
        "priority": 3,
        "match": {
            "method": "POST",
            "path": "/v1/me/library",
            "types": ["songs"],
            "calls": {"from": 2, "to": None},
        },
        "sequence": [
            {"status": 500, "delay": [0.1, 0.2]},
            {"fault": "connection_reset"},
            {"body": {"x": 1}, "status": 400},
        ],
        "times": 4,
        "probability": 0.5,
    }
    assert Rule.from_json(data).to_json() == data
    assert Rule.from_json(Rule.from_json(data).to_json()) == Rule.from_json(data)


def test_match_header_names_are_case_insensitive() -> None:
    facts = RequestFacts(
        "POST", "/v1/me/library", Query(b""), [(b"x-trace", b"on")], None, lambda: (None, None)
    )
    assert Match(headers={"X-Trace": "on"}).matches(facts)
