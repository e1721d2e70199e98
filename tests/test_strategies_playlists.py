"""``library_playlist_requests()`` and ``behaviours()`` against the playlist endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis.errors import InvalidArgument

from mockserver import create_app, mint_developer_token
from pytest_plugin.strategies import (
    Behaviour,
    LibraryPlaylistRequest,
    behaviours,
    library_playlist_requests,
)

from support import call_asgi

APP = create_app()
HEADERS = [
    (b"authorization", f"Bearer {mint_developer_token(lifetime=24 * 3600)}".encode()),
    (b"music-user-token", b"strategy-user"),
    (b"content-type", b"application/json"),
]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PLAYLISTS = "/v1/me/library/playlists"


def send(request: LibraryPlaylistRequest, app: Any = APP) -> Any:
    target = PLAYLISTS
    if request.kind == "add-tracks":
        created = call_asgi(app, "POST", PLAYLISTS, HEADERS, b'{"attributes":{"name":"p"}}')
        target = f"{PLAYLISTS}/{created.json()['data'][0]['id']}/tracks"
    return call_asgi(app, "POST", target, HEADERS, request.content)


@FAST
@given(library_playlist_requests())
def test_every_request_gets_the_predicted_answer(request: LibraryPlaylistRequest) -> None:
    reply = send(request)
    if request.valid:
        assert reply.status == (201 if request.kind == "create" else 204), reply.body
    else:
        assert reply.status == 400, reply.body
        assert reply.error["source"] == {"pointer": request.pointer}


@FAST
@given(library_playlist_requests(kind="create", valid=True))
def test_created_playlists_hold_their_tracks(request: LibraryPlaylistRequest) -> None:
    app = create_app()
    reply = send(request, app)
    (playlist,) = reply.json()["data"]
    assert playlist["attributes"]["name"] == request.body["attributes"]["name"]
    (created,) = app.mock.get_library("strategy-user")["playlists"]
    assert len(created["tracks"]) == len(request.tracks)


def test_requests_shrink_to_a_create_with_a_short_name() -> None:
    minimal = find(library_playlist_requests(), lambda request: True)
    assert (minimal.kind, minimal.valid) == ("create", True)
    assert len(minimal.body["attributes"]["name"]) == 1


def test_arguments_are_checked() -> None:
    with pytest.raises(InvalidArgument):
        library_playlist_requests(kind="delete").example()  # type: ignore[arg-type]


@FAST
@given(behaviours(statuses=(429, 500, 503), faults=False, match={"path": PLAYLISTS}))
def test_behaviours_apply_to_the_playlist_endpoints(behaviour: Behaviour) -> None:
    app = create_app()
    behaviour.install(app.mock)
    statuses = []
    for _ in range(len(behaviour.steps) + 1):
        body = b'{"attributes":{"name":"p"}}'
        statuses.append(call_asgi(app, "POST", PLAYLISTS, HEADERS, body).status)
    assert statuses == [step.get("status", 201) for step in behaviour.steps] + [201]
