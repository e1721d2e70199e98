"""The respx route's threads and loops (pytest_plugin/respx_route.py): a sync client is
served on its own thread when no event loop runs there; the portal thread only where one
does; async clients on their own loop."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from mockserver import create_app, mint_developer_token
from pytest_plugin import AppleMusicRespx

URL = "https://api.music.apple.com/v1/me/library?ids[songs]=1564531202"


@pytest.fixture
def headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_developer_token()}", "Music-User-Token": "u"}


def _portal_running() -> bool:
    return any(thread.name == "apple-music-respx" for thread in threading.enumerate())


def test_a_sync_client_is_served_on_its_own_thread(headers: dict[str, str]) -> None:
    app = create_app()
    served_on: list[int] = []
    pipeline = app.mock.pipeline
    original = pipeline.decide

    def decide(*args: object) -> object:
        served_on.append(threading.get_ident())
        return original(*args)  # type: ignore[arg-type]

    pipeline.decide = decide  # type: ignore[assignment,method-assign]
    with AppleMusicRespx(app), httpx.Client() as client:
        assert client.post(URL, headers=headers).status_code == 202
        assert not _portal_running()
    assert served_on == [threading.get_ident()]
    assert [entry.status for entry in app.mock.journal.entries()] == [202]


def test_a_scripted_delay_sleeps_the_calling_thread(headers: dict[str, str]) -> None:
    app = create_app()
    app.mock.add_rule(action={"delay": 0.2, "status": 503}, times=1)
    with AppleMusicRespx(app), httpx.Client() as client:
        start = time.perf_counter()
        assert client.post(URL, headers=headers).status_code == 503
        assert time.perf_counter() - start >= 0.2
        assert client.post(URL, headers=headers).status_code == 202
        assert not _portal_running()


def test_a_scripted_fault_breaks_a_sync_call(headers: dict[str, str]) -> None:
    app = create_app()
    app.mock.add_rule(action={"fault": "connection_reset"}, times=1)
    with AppleMusicRespx(app), httpx.Client() as client, pytest.raises(httpx.ReadError):
        client.post(URL, headers=headers)


def test_a_sync_client_inside_async_code_goes_through_the_portal(
    headers: dict[str, str],
) -> None:
    app = create_app()
    app.mock.add_rule(action={"delay": 0.05}, times=1)

    async def main() -> list[int]:
        with httpx.Client() as client:
            statuses = [client.post(URL, headers=headers).status_code for _ in range(2)]
        assert _portal_running()
        return statuses

    with AppleMusicRespx(app):
        assert asyncio.run(main()) == [202, 202]
    assert not _portal_running()


def test_an_async_client_is_served_on_its_own_loop(headers: dict[str, str]) -> None:
    app = create_app()
    app.mock.add_rule(action={"delay": 0.05, "status": 429}, times=1)

    async def main() -> list[int]:
        async with httpx.AsyncClient() as client:
            first = await client.post(URL, headers=headers)
            second = await client.post(URL, headers=headers)
        return [first.status_code, second.status_code]

    with AppleMusicRespx(app):
        assert asyncio.run(main()) == [429, 202]
        assert not _portal_running()


def test_threads_share_one_route_without_a_portal(headers: dict[str, str]) -> None:
    app = create_app()
    errors: list[BaseException] = []

    def post_many() -> None:
        try:
            with httpx.Client() as client:
                for _ in range(25):
                    assert client.post(URL, headers=headers).status_code == 202
        except BaseException as error:
            errors.append(error)

    with AppleMusicRespx(app):
        threads = [threading.Thread(target=post_many) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not _portal_running()
    assert errors == []
    assert len(app.mock.journal.entries()) == 150


def test_every_in_place_answer_matches_an_async_client(headers: dict[str, str]) -> None:
    """A delay, every transport fault, a playlist create, a refused body and a preflight:
    the sync path served in place answers as an async client (on its own loop) is answered."""
    rules: list[dict[str, object]] = [
        {"delay": 0.05, "status": 503},
        {"fault": "connection_reset"},
        {"fault": "empty_response"},
        {"fault": "truncated_body", "status": 500},
    ]
    playlists = "https://api.music.apple.com/v1/me/library/playlists"
    preflight = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"}

    def outcome(send: object) -> object:
        try:
            response = send() if callable(send) else send
        except httpx.TransportError as error:
            return type(error).__name__
        assert isinstance(response, httpx.Response)
        errors = response.json().get("errors") if response.content else None
        return response.status_code, errors[0]["status"] if errors else None

    def scripted() -> object:
        app = create_app()
        for action in rules:
            app.mock.add_rule(action=action, times=1)
        return app

    sync_app = scripted()
    with AppleMusicRespx(sync_app), httpx.Client() as client:  # type: ignore[arg-type]
        in_place = [outcome(lambda: client.post(URL, headers=headers)) for _ in range(5)]
        in_place.append(
            outcome(
                lambda: client.post(
                    playlists, headers=headers, json={"attributes": {"name": "Road"}}
                )
            )
        )
        in_place.append(outcome(lambda: client.post(playlists, headers=headers, content=b"{")))
        in_place.append(outcome(lambda: client.options(URL, headers=preflight)))
        assert not _portal_running()

    async def asynchronous() -> list[object]:
        out: list[object] = []
        async with httpx.AsyncClient() as client:
            for _ in range(5):
                try:
                    out.append(outcome(await client.post(URL, headers=headers)))
                except httpx.TransportError as error:
                    out.append(type(error).__name__)
            out.append(
                outcome(
                    await client.post(
                        playlists, headers=headers, json={"attributes": {"name": "Road"}}
                    )
                )
            )
            out.append(outcome(await client.post(playlists, headers=headers, content=b"{")))
            out.append(outcome(await client.options(URL, headers=preflight)))
        return out

    async_app = scripted()
    with AppleMusicRespx(async_app):  # type: ignore[arg-type]
        on_a_loop = asyncio.run(asynchronous())
    assert in_place == on_a_loop
    assert in_place[0] == (503, "503")
    assert in_place[4] == (202, None)
    assert in_place[5] == (201, None)
    assert in_place[6] == (400, "400")
    assert in_place[7] == (204, None)
    assert [e.status for e in sync_app.mock.journal.entries()] == [  # type: ignore[attr-defined]
        e.status
        for e in async_app.mock.journal.entries()  # type: ignore[attr-defined]
    ]


def test_a_route_the_user_scripts_answers_as_scripted(headers: dict[str, str]) -> None:
    with AppleMusicRespx(create_app()) as mocked, httpx.Client() as client:
        mocked.route.return_value = httpx.Response(418)
        assert client.post(URL, headers=headers).status_code == 418
        mocked.route.return_value = None
        assert client.post(URL, headers=headers).status_code == 202
