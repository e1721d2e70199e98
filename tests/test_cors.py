"""Browsers: CORS headers on every answer, preflights, and the web player's user-token
header (mockserver/cors.py, the user-token source in mockserver/auth.py), in process and
live."""

from __future__ import annotations

import pytest

from mockserver import create_app
from mockserver.cors import CorsPolicy

from support import SONGS, USER_TOKEN, AsgiCaller, Caller, Serve

PREFLIGHT = {
    "Origin": "https://app.example",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, music-user-token",
    "Authorization": None,
    "Music-User-Token": None,
}


@pytest.mark.parametrize("path", ["/v1/me/library", "/v1/me/library/songs", "/v1/anything"])
def test_preflights_get_204_with_the_allow_headers_and_no_token_checks(
    call: Caller, path: str
) -> None:
    reply = call(path, method="OPTIONS", headers=PREFLIGHT)
    assert reply.status == 204
    assert reply.body == b""
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["access-control-allow-methods"] == "GET, POST, PUT, PATCH, DELETE"
    allowed = [h.strip().lower() for h in reply.headers["access-control-allow-headers"].split(",")]
    assert {"authorization", "music-user-token", "media-user-token", "content-type"} <= set(
        allowed
    )
    assert reply.headers["access-control-max-age"] == "86400"


def test_every_kind_of_answer_carries_the_allow_origin_header(serve: Serve) -> None:
    limited, call = serve(rate_limit={"requests": 1, "window_seconds": 60}), serve()
    answers = {
        "202": limited(SONGS),
        "429": limited(SONGS),
        "400": call("/v1/me/library?ids[artists]=1", headers={"Music-User-Token": "other"}),
        "401": call(SONGS, headers={"Authorization": "Bearer nope"}),
        "403": call(SONGS, headers={"Music-User-Token": None}),
        "404": call("/v1/nowhere"),
        "405": call("/v1/me/library", method="PUT"),
    }
    assert {name: reply.status for name, reply in answers.items()} == {
        name: int(name) for name in answers
    }
    for name, reply in answers.items():
        assert reply.headers.get("access-control-allow-origin") == "*", name


def test_scripted_answers_and_5xx_carry_it_too() -> None:
    from mockserver import mint_developer_token

    app = create_app()
    app.mock.add_rule(sequence=[{"status": 503}, {"status": 202}, {"status": 500}])
    call = AsgiCaller(
        app, {"Authorization": f"Bearer {mint_developer_token()}", "Music-User-Token": USER_TOKEN}
    )
    for status in (503, 202, 500):
        reply = call(SONGS)
        assert reply.status == status
        assert reply.headers["access-control-allow-origin"] == "*"


def test_listed_origins_are_echoed_and_others_get_no_allow_header(serve: Serve) -> None:
    call = serve(cors_allowed_origins=["https://app.example"])
    allowed = call(SONGS, headers={"Origin": "https://app.example"})
    assert allowed.status == 202
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert allowed.headers["vary"] == "Origin"
    other = call(SONGS, headers={"Origin": "https://other.example"})
    assert other.status == 202
    assert "access-control-allow-origin" not in other.headers
    preflight = call(
        "/v1/me/library",
        method="OPTIONS",
        headers={**PREFLIGHT, "Origin": "https://other.example"},
    )
    assert preflight.status == 204
    assert "access-control-allow-methods" not in preflight.headers
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_off(serve: Serve) -> None:
    call = serve(cors_allowed_origins=[])
    assert "access-control-allow-origin" not in call(SONGS).headers
    assert call("/v1/me/library", method="OPTIONS", headers=PREFLIGHT).status == 405


def test_exposed_headers_are_a_setting(serve: Serve) -> None:
    call = serve(
        cors_expose_headers=["Retry-After"],
        rate_limit={"requests": 1, "window_seconds": 60, "retry_after": 5},
    )
    call(SONGS)
    limited = call(SONGS)
    assert limited.status == 429
    assert limited.headers["access-control-expose-headers"] == "Retry-After"


def test_preflights_are_journaled_and_rules_can_break_them() -> None:
    app = create_app()
    call = AsgiCaller(app, {})
    assert call("/v1/me/library", method="OPTIONS", headers=PREFLIGHT).status == 204
    [entry] = app.mock.journal_entries()
    assert (entry.method, entry.status, entry.reason) == ("OPTIONS", 204, "preflight")
    app.mock.add_rule(match={"method": "OPTIONS"}, action={"status": 500}, times=1)
    assert call("/v1/me/library", method="OPTIONS", headers=PREFLIGHT).status == 500
    assert app.mock.journal_entries()[-1].rule is not None


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("amp-api.music.apple.com", 202),
        ("amp-api.music.apple.com:443", 202),
        ("api.music.apple.com", 403),
    ],
)
def test_media_user_token_alone_counts_on_the_web_players_host(
    serve: Serve, host: str, status: int
) -> None:
    call = serve()
    reply = call(
        SONGS, headers={"Host": host, "Music-User-Token": None, "Media-User-Token": "web-user"}
    )
    assert reply.status == status


def test_which_header_carried_the_user_token_is_a_setting_and_journaled() -> None:
    from mockserver import mint_developer_token

    app = create_app(user_token_headers={"*": ["media-user-token", "music-user-token"]})
    call = AsgiCaller(app, {"Authorization": f"Bearer {mint_developer_token()}"})
    assert call(SONGS, headers={"Media-User-Token": "web-user"}).status == 202
    assert call(SONGS, headers={"Music-User-Token": "api-user"}).status == 202
    assert [(e.user_header, e.status) for e in app.mock.journal_entries()] == [
        ("media-user-token", 202),
        ("music-user-token", 202),
    ]
    assert app.mock.get_library("web-user")["songs"]


def test_user_token_headers_cannot_differ_per_namespace() -> None:
    from mockserver import ConfigError

    with pytest.raises(ConfigError, match="server-wide"):
        create_app().mock.configure(namespace="u", user_token_headers={"*": ["media-user-token"]})


def test_policy_doctest_shapes() -> None:
    from mockserver import Settings

    policy = CorsPolicy.from_settings(Settings(cors_allowed_origins=["https://a.example"]))
    assert policy.fixed is None
    assert policy.headers_for(None) == []


def test_a_preflight_of_an_overlong_target_is_answered_so_the_414_can_be_read(
    call: Caller,
) -> None:
    target = "/v1/me/library?ids[songs]=" + ",".join(str(10**9 + n) for n in range(900))
    assert call(target, method="OPTIONS", headers=PREFLIGHT).status == 204
    reply = call(target)
    assert reply.status == 414
    assert reply.headers["access-control-allow-origin"] == "*"
