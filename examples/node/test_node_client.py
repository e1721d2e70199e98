"""The Node client (examples/node/add_songs.mjs) against the fake on a real port: it adds
the songs through a 503 and a 429, honouring Retry-After, and stops on a refusal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from pytest_plugin import AppleMusicMock
from pytest_plugin.session import AppleMusicServer

NODE = shutil.which("node")
CLIENT = Path(__file__).with_name("add_songs.mjs")
SONGS = ["1564531202", "1577502911", "1440857781"]

needs_node = pytest.mark.skipif(NODE is None, reason="node (18 or later) is not installed")
pytestmark = pytest.mark.live


def run(
    server: AppleMusicServer, mock: AppleMusicMock, *ids: str
) -> subprocess.CompletedProcess[str]:
    assert NODE is not None
    env = {
        "PATH": os.environ.get("PATH", ""),
        "APPLE_MUSIC_BASE_URL": server.url,
        "APPLE_MUSIC_DEVELOPER_TOKEN": mock.developer_token,
        "APPLE_MUSIC_USER_TOKEN": mock.user_token,
    }
    return subprocess.run(
        [NODE, str(CLIENT), *ids], env=env, capture_output=True, text=True, timeout=60
    )


@needs_node
def test_the_node_client_retries_and_the_songs_are_in_the_library(
    apple_music: AppleMusicMock, apple_music_server: AppleMusicServer
) -> None:
    apple_music.add_rule(
        sequence=[
            {"status": 503, "headers": {"Retry-After": "1"}},
            {"status": 429},  # no Retry-After: the client backs off on its own
        ]
    )
    started = time.monotonic()
    done = run(apple_music_server, apple_music, *SONGS)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 1  # Retry-After was honoured
    report = json.loads(done.stdout)
    assert report["retries"] == 2
    assert sorted(report["library"]) == sorted(SONGS)
    apple_music.assert_added(songs=SONGS, exactly=True)
    statuses = [entry.status for entry in apple_music.requests(method="POST")]
    assert statuses == [503, 429, 202]
    apple_music.assert_no_contract_violations()


@needs_node
def test_the_node_client_stops_on_a_refusal_with_apples_code(
    apple_music: AppleMusicMock, apple_music_server: AppleMusicServer
) -> None:
    apple_music.configure(unsubscribed_user_tokens=[apple_music.user_token])
    done = run(apple_music_server, apple_music, "1564531202")
    assert done.returncode == 1
    assert done.stderr.startswith("add_songs: HTTP 400 40015"), done.stderr
    apple_music.assert_requests(count=1, method="POST", status=400)  # a refusal is not retried
    assert apple_music.library("songs") == []


@needs_node
def test_the_node_client_explains_its_usage(apple_music_server: AppleMusicServer) -> None:
    assert NODE is not None
    done = subprocess.run([NODE, str(CLIENT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: ")


def test_ci_installs_node_where_it_is_missing() -> None:
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert "if ! command -v node >/dev/null && command -v apt-get >/dev/null; then" in ci
    assert "apt-get install -y -qq nodejs" in ci
