"""Nothing leaves the machine (pytest_plugin/seal.py and the respx route): under the plugin,
every request to an Apple host is answered by the fake or refused before any socket opens,
whatever the fixture order, and a test's own respx routes for other hosts keep working."""

from __future__ import annotations

import socket

import pytest

from pytest_plugin.seal import AppleHostSeal

#: A conftest that fails any socket connection to a non-loopback address, and lists them.
GUARD = """
import ipaddress
import socket

import pytest

ATTEMPTS = []


def _checked(connect):
    def guarded(self, address, *args):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                loopback = ipaddress.ip_address(host.split("%")[0]).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                ATTEMPTS.append(address)
                raise ConnectionRefusedError(f"test guard: no network ({address})")
        return connect(self, address, *args)

    return guarded


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _checked(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _checked(socket.socket.connect_ex))
    yield
    assert ATTEMPTS == [], f"sockets opened to the network: {ATTEMPTS}"


@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

TESTS = """
import httpx
import pytest
import requests

PATHS = [
    "/v1/me/library?ids[songs]=1",
    "/v1/catalog/us/songs/1441164738",
    "/v1/me/storefront",
    "/v1/me/library/playlists",
    "/anything/else",
]
HOSTS = ["api.music.apple.com", "amp-api.music.apple.com"]
ORDERS = ["apple_first", "user_first", "apple_only"]


@pytest.fixture(params=ORDERS)
def routers(request, apple_music):
    names = {
        "apple_first": ["apple_music_respx", "respx_mock"],
        "user_first": ["respx_mock", "apple_music_respx"],
        "apple_only": ["apple_music_respx"],
    }[request.param]
    got = {name: request.getfixturevalue(name) for name in names}
    user = got.get("respx_mock")
    if user is not None:
        user.get("https://example.org/ping").respond(200, text="pong")
    return user


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("path", PATHS)
def test_sync_answered_by_the_fake(routers, apple_music, host, path):
    reply = httpx.post(f"https://{host}{path}", headers=apple_music.headers)
    assert reply.status_code in (202, 400, 404, 405)  # 400: a playlist create without a body
    assert reply.status_code == 202 or "errors" in reply.json()
    assert apple_music.requests()[-1].path == path.partition("?")[0]
    if routers is not None:
        assert httpx.get("https://example.org/ping").text == "pong"


@pytest.mark.anyio
@pytest.mark.parametrize("path", PATHS)
async def test_async_answered_by_the_fake(routers, apple_music, path):
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"https://api.music.apple.com{path}", headers=apple_music.headers)
        assert reply.status_code in (200, 404, 405, 400)
        if routers is not None:
            assert (await client.get("https://example.org/ping")).text == "pong"
    assert apple_music.requests()[-1].path == path.partition("?")[0]


def test_a_user_route_for_an_apple_path_is_not_needed(apple_music, respx_mock, apple_music_respx):
    reply = httpx.post("https://api.music.apple.com/v1/me/library?ids[songs]=1", headers=apple_music.headers)
    assert reply.status_code == 202


@pytest.mark.parametrize("host", HOSTS)
def test_other_clients_are_refused_before_any_socket(apple_music, host):
    with pytest.raises(requests.ConnectionError, match="sealed during this test"):
        requests.post(f"https://{host}/v1/me/library?ids[songs]=1", headers=apple_music.headers, timeout=5)


def test_hypothesis_session_fixture_is_sealed_too(apple_music_session):
    with pytest.raises(requests.ConnectionError, match="sealed"):
        requests.get("https://api.music.apple.com/v1/me/storefront", timeout=5)
"""


def test_every_apple_path_in_every_fixture_order_stays_local(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(GUARD)
    pytester.makepyfile(test_sealed=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2 * 5 * 3 + 5 * 3 + 1 + 2 + 1)


def test_a_failure_report_names_requests_that_went_around_the_fake(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import requests

        def test_client(apple_music):
            requests.get("https://api.music.apple.com/v1/me/storefront", timeout=5)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*1 connection attempt(s) to api.music.apple.com were refused: the client went around the fake*"
        ]
    )


def test_seal_refuses_apple_hosts_only_and_restores_the_resolver() -> None:
    original = socket.getaddrinfo
    with AppleHostSeal() as outer, AppleHostSeal() as inner:
        with pytest.raises(socket.gaierror, match="sealed"):
            socket.getaddrinfo("AMP-API.music.apple.com.", 443)
        assert socket.getaddrinfo("127.0.0.1", 80)
    assert outer.attempts == inner.attempts == ["AMP-API.music.apple.com."]
    assert socket.getaddrinfo is original
