"""Nothing recorded or added is lost when many clients hit one live server at once."""

from __future__ import annotations

import http.client
import threading

import pytest

from mockserver import LiveServer, create_app, mint_developer_token

pytestmark = pytest.mark.live

THREADS, ADDS, USERS = 32, 500, 8


def test_32_threads_x_500_adds_across_8_users_lose_nothing() -> None:
    app = create_app(journal_size=THREADS * ADDS)
    token = mint_developer_token()
    failures: list[str] = []
    with LiveServer(app) as server:

        def client(worker: int) -> None:
            user = f"user-{worker % USERS}"
            headers = {"Authorization": f"Bearer {token}", "Music-User-Token": user}
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                for n in range(ADDS):
                    song = 1_000_000_000 + worker * ADDS + n
                    connection.request(
                        "POST", f"/v1/me/library?ids[songs]={song}", headers=headers
                    )
                    response = connection.getresponse()
                    response.read()
                    if response.status != 202:
                        failures.append(f"{worker}/{n}: {response.status}")
            finally:
                connection.close()

        threads = [threading.Thread(target=client, args=(w,)) for w in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=240)
        assert not any(thread.is_alive() for thread in threads)

    assert failures == []
    mock = app.mock
    assert mock.journal_stats() == {"size": 16_000, "kept": 16_000, "total": 16_000, "overflow": 0}
    assert len({entry.seq for entry in mock.journal_entries()}) == THREADS * ADDS
    for user_index in range(USERS):
        user = f"user-{user_index}"
        expected = {
            str(1_000_000_000 + worker * ADDS + n)
            for worker in range(THREADS)
            if worker % USERS == user_index
            for n in range(ADDS)
        }
        songs = mock.get_library(user)["songs"]
        assert len(songs) == len(expected) == THREADS // USERS * ADDS
        assert {item["catalog_id"] for item in songs} == expected
        assert len({item["library_id"] for item in songs}) == len(expected)
        assert mock.journal_count(user_token=user) == len(expected)
