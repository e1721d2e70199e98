"""A sample contract suite, as a user would write it, for the CI recipe.

``run-contract-tests.sh`` runs it against an ``apple-music-mock serve`` started for the job::

    pytest examples/ci/test_sample_client.py --apple-music-url http://127.0.0.1:PORT

It uses only the README's fixtures (``apple_music``, ``apple_music_server``,
``developer_token``, ``music_user_token``) and talks HTTP to ``apple_music_server.url``, so
it passes unchanged without ``--apple-music-url`` too (the plugin then starts the fake on a
loopback port itself).
"""

from __future__ import annotations

import httpx

from pytest_plugin import AppleMusicMock, AppleMusicServer

SONGS = ["1564531202", "1577502911"]


def add_songs(
    base_url: str, developer_token: str, user_token: str, ids: list[str], *, attempts: int = 3
) -> int:
    """The client under test: add songs to the user's library, retrying 429 and 5xx (never a
    4xx refusal), and return the final status."""
    headers = {"Authorization": f"Bearer {developer_token}", "Music-User-Token": user_token}
    status = 0
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for _ in range(attempts):
            reply = client.post(
                "/v1/me/library", params={"ids[songs]": ",".join(ids)}, headers=headers
            )
            status = reply.status_code
            if status != 429 and status < 500:
                break
    return status


def test_adds_songs(
    apple_music: AppleMusicMock,
    apple_music_server: AppleMusicServer,
    developer_token: str,
    music_user_token: str,
) -> None:
    status = add_songs(apple_music_server.url, developer_token, music_user_token, SONGS)
    assert status == 202
    apple_music.assert_added(songs=SONGS)
    apple_music.assert_requests(count=1)


def test_retries_a_busy_service(
    apple_music: AppleMusicMock,
    apple_music_server: AppleMusicServer,
    developer_token: str,
    music_user_token: str,
) -> None:
    apple_music.add_rule(sequence=[{"status": 503}, {"status": 429}])
    status = add_songs(apple_music_server.url, developer_token, music_user_token, SONGS[:1])
    assert status == 202
    apple_music.assert_added(songs=SONGS[:1])
    apple_music.assert_requests(count=3)


def test_does_not_retry_a_refused_token(
    apple_music: AppleMusicMock, apple_music_server: AppleMusicServer, music_user_token: str
) -> None:
    status = add_songs(apple_music_server.url, "not-a-token", music_user_token, SONGS)
    assert status == 401
    apple_music.assert_requests(count=1, status=401)
    assert apple_music.library("songs") == []
