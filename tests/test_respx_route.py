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
