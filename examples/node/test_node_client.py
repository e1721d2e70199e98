"""The Node client (examples/node/add_songs.mjs) against the fake on a real port: it adds
the songs through 502, 503, 504 and 429 answers, honouring Retry-After in seconds or as an
HTTP date, stops on a refusal (also one whose body is not JSON), and stops following a
`next` that never ends."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from pytest_plugin import AppleMusicMock
from pytest_plugin.session import AppleMusicServer

CLIENT = Path(__file__).with_name("add_songs.mjs")
SONGS = ["1564531202", "1577502911", "1440857781"]


def node_major(version: str) -> int:
    """The major version of ``node --version``'s answer (``v20.11.1`` -> 20); 0 when it is
    not one."""
    match = re.fullmatch(r"v(\d+)\.\S*", version.strip())
    return int(match.group(1)) if match else 0


def _node() -> tuple[str | None, str]:
    """The node to run the client with, or None and why not."""
    found = shutil.which("node")
    if found is None:
        return None, "node (18 or later) is not installed"
    answer = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30)
    version = answer.stdout.strip()
    if node_major(version) < 18:
        return None, f"node {version or '(no version)'} is older than 18: no built-in fetch"
    return found, ""


NODE, WHY_NOT = _node()
needs_node = pytest.mark.skipif(NODE is None, reason=WHY_NOT or "node is usable")
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


@needs_node
def test_gateway_answers_are_retried_and_a_retry_after_date_is_honoured(
    apple_music: AppleMusicMock, apple_music_server: AppleMusicServer
) -> None:
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)
    apple_music.add_rule(
        sequence=[{"status": 502, "headers": {"Retry-After": later}}, {"status": 504}]
    )
    started = time.monotonic()
    done = run(apple_music_server, apple_music, *SONGS)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started >= 1  # the date (whole seconds) was waited for
    assert json.loads(done.stdout)["retries"] == 2
    statuses = [entry.status for entry in apple_music.requests(method="POST")]
    assert statuses == [502, 504, 202]
    apple_music.assert_added(songs=SONGS, exactly=True)


@needs_node
def test_a_refusal_whose_body_is_not_json_is_reported(
    apple_music: AppleMusicMock, apple_music_server: AppleMusicServer
) -> None:
    apple_music.add_rule(action={"status": 403, "body": "<html>Forbidden by the proxy</html>"})
    done = run(apple_music_server, apple_music, "1564531202")
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == (
        'add_songs: HTTP 403: the body is not JSON: "<html>Forbidden by the proxy</html>"'
    )


@needs_node
def test_a_next_that_never_ends_is_followed_a_bounded_number_of_times() -> None:
    assert NODE is not None
    script = (
        f"import {{ librarySongs }} from {json.dumps(CLIENT.as_uri())};\n"
        "globalThis.fetch = async () => new Response("
        'JSON.stringify({ data: [], next: "/v1/me/library/songs?offset=1" }));\n'
        "const stats = { requests: 0, retries: 0 };\n"
        "try { await librarySongs(stats); } catch (error) {\n"
        "  console.log(JSON.stringify({ requests: stats.requests, error: error.message }));\n"
        "}\n"
    )
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "requests": 1000,
        "error": "HTTP 200: more than 1000 pages of `next`: stopped",
    }


@pytest.mark.parametrize(
    ("version", "major"), [("v20.11.1\n", 20), ("v18.0.0", 18), ("v12.22.9", 12), ("", 0)]
)
def test_node_versions_are_read(version: str, major: int) -> None:
    assert node_major(version) == major


def test_ci_installs_node_where_it_is_missing_and_checks_its_version() -> None:
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert "if ! command -v node >/dev/null && command -v apt-get >/dev/null; then" in ci
    assert "apt_install nodejs" in ci
    assert ci.count("apt-get update") == 1  # once, however many packages are installed
    assert "is older than 18: the Node example test will be skipped" in ci
