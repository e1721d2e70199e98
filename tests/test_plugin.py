"""The pytest plugin end to end, with pytester (pytest_plugin/plugin.py)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.live


@pytest.fixture(params=["", "true"], ids=["terminal", "on-ci"])
def ci(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run below on a terminal and on CI (the CI variable set), where pytest repeats a
    failure's whole message in its short summary."""
    monkeypatch.setenv("CI", request.param)


@pytest.fixture(autouse=True)
def asyncio_only(pytester: pytest.Pytester) -> None:
    """Async tests in the runs below use anyio on asyncio (trio may not be installed)."""
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"
        """
    )


def escape(pattern: str) -> str:
    """fnmatch treats [ and ] as a set; match them literally."""
    return "".join("[[]" if c == "[" else "[]]" if c == "]" else c for c in pattern)


def test_fixtures_serve_a_requests_client_and_assert(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        def test_add(apple_music, apple_music_server, developer_token, music_user_token):
            response = requests.post(
                f"{apple_music_server.url}/v1/me/library",
                params={"ids[songs]": "1564531202,1577502911"},
                headers={"Authorization": f"Bearer {developer_token}", "Music-User-Token": music_user_token},
                timeout=5,
            )
            assert response.status_code == 202
            apple_music.assert_added(songs=["1564531202", "1577502911"], exactly=True)
            apple_music.assert_requests(count=1, status=202)
            apple_music.assert_no_contract_violations()

        def test_state_does_not_leak(apple_music, apple_music_server):
            assert apple_music.requests() == []
            assert apple_music.control.list_rules() == []
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["apple-music-mock: in-process fake*"])


def test_respx_route_serves_sync_and_async_httpx_without_sockets(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        URL = "https://api.music.apple.com/v1/me/library"

        def test_sync(apple_music, apple_music_respx):
            response = httpx.post(URL, params={"ids[albums]": "1577502911"}, headers=apple_music.headers)
            assert response.status_code == 202
            assert response.content == b""
            apple_music.assert_added(albums=["1577502911"])
            web = httpx.get("https://amp-api.music.apple.com/v1/me/library/albums", headers=apple_music.headers)
            assert web.json()["data"][0]["attributes"]["playParams"]["catalogId"] == "1577502911"

        @pytest.mark.anyio
        async def test_async(apple_music, apple_music_respx):
            apple_music.fail_next(429)
            async with httpx.AsyncClient() as client:
                first = await client.post(URL, params={"ids[songs]": "1"}, headers=apple_music.headers)
                second = await client.post(URL, params={"ids[songs]": "1"}, headers=apple_music.headers)
            assert first.status_code == 429
            assert first.json()["errors"][0]["code"] == "42900"
            assert second.status_code == 202

        def test_faults_become_httpx_errors(apple_music, apple_music_respx):
            apple_music.add_rule(sequence=[{"fault": "connection_reset"}, {"fault": "empty_response"}, {"fault": "truncated_body"}])
            with pytest.raises(httpx.ReadError):
                httpx.post(URL, params={"ids[songs]": "1"}, headers=apple_music.headers)
            with pytest.raises(httpx.RemoteProtocolError):
                httpx.post(URL, params={"ids[songs]": "1"}, headers=apple_music.headers)
            with pytest.raises(httpx.RemoteProtocolError):
                httpx.post(URL, params={"ids[songs]": "1"}, headers=apple_music.headers)

        def test_other_hosts_pass_through(apple_music, apple_music_respx):
            assert apple_music_respx.route.call_count == 0
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_apple_music_app_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.anyio
        async def test_asgi(apple_music, apple_music_app):
            transport = httpx.ASGITransport(app=apple_music_app)
            async with httpx.AsyncClient(transport=transport, base_url="https://api.music.apple.com") as client:
                reply = await client.post("/v1/me/library?ids[songs]=1", headers=apple_music.headers)
            assert reply.status_code == 202
            assert apple_music.library() == ["1"]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_marker_configures_one_test_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        URL = "https://api.music.apple.com/v1/me/library?ids[songs]=1&ids[songs]=2"

        @pytest.mark.apple_music(repeated_keys="reject", unauthorized_body="errors")
        def test_strict(apple_music, apple_music_respx):
            assert apple_music.settings.repeated_keys == "reject"
            assert httpx.post(URL, headers=apple_music.headers).status_code == 400

        def test_default_again(apple_music, apple_music_respx):
            assert httpx.post(URL, headers=apple_music.headers).status_code == 202

        @pytest.mark.apple_music(repeated_keys="sometimes")
        def test_bad_marker(apple_music):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.apple_music: invalid setting 'repeated_keys'*"])


def test_token_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        URL = "https://api.music.apple.com/v1/me/library?ids[songs]=1"

        @pytest.mark.parametrize("kind", ["expired", "too_long_lived", "wrong_alg", "unsigned", "wrong_origin", "revoked", "der_signature"])
        def test_broken_tokens_get_401(apple_music, apple_music_respx, apple_music_tokens, music_user_token, kind):
            token = getattr(apple_music_tokens, kind)()
            reply = httpx.post(URL, headers={"Authorization": f"Bearer {token}", "Music-User-Token": music_user_token})
            assert (reply.status_code, reply.content) == (401, b"")
            apple_music.expect_contract_violations()

        def test_valid_and_unique_users(apple_music, apple_music_respx, apple_music_tokens, developer_token, music_user_token):
            assert apple_music_tokens.user() != music_user_token
            reply = httpx.post(URL, headers={"Authorization": f"Bearer {developer_token}", "Music-User-Token": music_user_token})
            assert reply.status_code == 202
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--apple-music-strict").assert_outcomes(passed=8)


def test_failing_test_shows_the_near_miss_section(pytester: pytest.Pytester, ci: None) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_client_bug(apple_music, apple_music_respx):
            httpx.post("https://api.music.apple.com/v1/me/library?ids[artists]=178834", headers=apple_music.headers)
            httpx.post("https://api.music.apple.com/v1/me/library?ids[songs]=1,,2", headers=apple_music.headers)
            httpx.post("https://api.music.apple.com/v1/me/library?ids[songs]=1564531202", headers=apple_music.headers)
            apple_music.assert_added(songs=["178834"])
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    lines = [
        "*AppleMusicAssertionError: library does not hold what was expected:*",
        "*songs: expected ['178834'], library has ['1564531202']; missing ['178834']*",
        "*apple-music-mock received 3 request(s):",
        "*#1 POST /v1/me/library?ids[artists]=178834 -> 400 40004",
        "*broke the contract on 'ids[artists]': Parameter 'ids[artists]' is not allowed*",
        "*expected: ids[TYPE]=id1,id2 with TYPE one of albums, music-videos, playlists, songs",
        "*#2 POST /v1/me/library?ids[songs]=1,,2 -> 400 40005",
        "*broke the contract on 'ids[songs]': Parameter 'ids[songs]' contains an empty id (element 2)",
        "*#3 POST /v1/me/library?ids[songs]=1564531202 -> 202",
        "*added songs=['1564531202']",
    ]
    result.stdout.fnmatch_lines([escape(line) for line in lines])
    assert "def assert_added" not in result.stdout.str()  # helper frames are hidden
    # The helper's message carries the report: no second copy in a section of its own.
    assert result.stdout.str().count("apple-music-mock received") == 1
    assert "- apple-music-mock -" not in result.stdout.str()


def test_the_report_appears_once_per_failing_test_with_decoded_queries(
    pytester: pytest.Pytester, ci: None
) -> None:
    pytester.makepyfile(
        """
        import httpx

        URL = "https://api.music.apple.com/v1/me/library"

        def test_plain_failure(apple_music, apple_music_respx):
            httpx.post(URL + "?ids%5Bsongs%5D=1564531202%2C1577502911", headers=apple_music.headers)
            assert False, "the client's own assertion"

        def test_helper_failure(apple_music, apple_music_respx):
            httpx.post(URL + "?ids[songs]=1564531202", headers=apple_music.headers)
            apple_music.assert_requests(count=2)

        def test_violation_helper(apple_music, apple_music_respx):
            httpx.post(URL + "?ids%5Bartists%5D=178834", headers=apple_music.headers)
            apple_music.assert_no_contract_violations()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    assert out.count("apple-music-mock received") == 3, out
    result.stdout.fnmatch_lines(
        [
            escape("*#1 POST /v1/me/library?ids[songs]=1564531202,1577502911 -> 202"),
            escape("*    raw: /v1/me/library?ids%5Bsongs%5D=1564531202%2C1577502911"),
        ]
    )
    # A query sent as it reads has no raw line.
    assert out.count("raw: ") == 2  # the first test's and the third's, once each
    assert out.count("broke the contract on 'ids[artists]'") == 1
    result.stdout.fnmatch_lines(
        [
            "*1 request(s) broke the Apple Music API contract: #* below",
            "*apple-music-mock received*",
        ]
    )
    assert "raw: /v1/me/library?ids[songs]=1564531202\n" not in out


def test_the_header_line_appears_only_when_the_run_uses_the_plugin(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "apple-music-mock:" not in result.stdout.str()
    configured = pytester.runpytest("-p", "no:cacheprovider", "--apple-music-strict")
    configured.stdout.fnmatch_lines(["apple-music-mock: in-process fake*(strict: on)"])
    pytester.makepyfile(
        test_uses="import pytest\n\n@pytest.mark.apple_music(seed=1)\ndef test_marked():\n    pass\n"
    )
    used = pytester.runpytest("-p", "no:cacheprovider")
    used.assert_outcomes(passed=2)
    used.stdout.fnmatch_lines(["collected 2 items", "apple-music-mock: in-process fake*"])
    assert used.stdout.str().count("apple-music-mock: in-process fake") == 1


def test_a_fixture_of_the_same_name_is_not_the_plugin_in_use(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef developer_token():\n    return 'own'\n\n"
        "@pytest.fixture\ndef music_user_token(developer_token):\n    return 'own-user'\n"
    )
    pytester.makepyfile(
        test_own="def test_own(developer_token, music_user_token):\n"
        "    assert (developer_token, music_user_token) == ('own', 'own-user')\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "apple-music-mock:" not in result.stdout.str()


@pytest.mark.parametrize(
    "args",
    [
        ["--apple-music-admin-token", "some-admin-token"],
        ["--apple-music-live-url", "http://127.0.0.1:9"],
        ["--apple-music-live"],
        ["-o", "apple_music_admin_token=some-admin-token"],
        ["-o", "apple_music_strict=true"],
    ],
    ids=["admin-token", "live-url", "live", "ini-admin-token", "ini-strict"],
)
def test_every_option_and_ini_value_of_the_plugin_shows_the_header(
    pytester: pytest.Pytester, args: list[str]
) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert "apple-music-mock: in-process fake" in result.stdout.str() + result.stderr.str()


def test_under_xdist_the_header_needs_an_option(pytester: pytest.Pytester) -> None:
    """The xdist controller collects nothing, so it cannot see a test use the fake: only a
    configured run shows the line (README, "The pytest plugin")."""
    pytester.makepyfile(test_uses="def test_uses(apple_music):\n    pass\n")
    unconfigured = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:benchmark", "-n", "2")
    unconfigured.assert_outcomes(passed=1)
    assert "apple-music-mock:" not in unconfigured.stdout.str()
    configured = pytester.runpytest(
        "-p", "no:cacheprovider", "-p", "no:benchmark", "-n", "2", "--apple-music-strict"
    )
    configured.assert_outcomes(passed=1)
    configured.stdout.fnmatch_lines(["apple-music-mock: in-process fake*"])


def test_strict_mode_fails_a_passing_test_that_broke_the_contract(
    pytester: pytest.Pytester, ci: None
) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_sloppy(apple_music, apple_music_respx):
            httpx.post("https://api.music.apple.com/v1/me/library/?ids[songs]=1", headers=apple_music.headers)

        def test_expected(apple_music, apple_music_respx):
            apple_music.expect_contract_violations()
            httpx.post("https://api.music.apple.com/v1/me/library?foo=1", headers=apple_music.headers)

        def test_scripted_errors_are_not_violations(apple_music, apple_music_respx):
            apple_music.fail_next(403)
            httpx.post("https://api.music.apple.com/v1/me/library?ids[songs]=1", headers=apple_music.headers)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--apple-music-strict")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            escape(
                "*--apple-music-strict: the client sent 1 request(s) the real Apple Music API would refuse: #1 below*"
            ),
            escape("*POST /v1/me/library/?ids[songs]=1 -> 400 40000*"),
        ]
    )
    out = result.stdout.str()
    assert out.count("POST /v1/me/library/?ids[songs]=1 -> 400 40000") == 1, out  # once
    assert out.count("- apple-music-mock -") == 1  # the report, in its section
    pytester.makeini("[pytest]\napple_music_strict = true\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2, failed=1)


def test_xdist_workers_do_not_see_each_other(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        @pytest.mark.parametrize("n", range(20))
        def test_add(apple_music, apple_music_respx, n):
            ids = [str(1000 * n + k) for k in range(1, 6)]
            reply = httpx.post("https://api.music.apple.com/v1/me/library", params={"ids[songs]": ",".join(ids)}, headers=apple_music.headers)
            assert reply.status_code == 202
            apple_music.assert_added(songs=ids, exactly=True)
            assert len(apple_music.requests()) == 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=20)


@pytest.fixture
def external_server(tmp_path: Path) -> Iterator[str]:
    """apple-music-mock serve in a subprocess, as CI would start it."""
    port_file, log = tmp_path / "port", tmp_path / "server.log"
    command = [
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--port",
        "0",
        "--port-file",
        str(port_file),
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink)
    deadline = time.monotonic() + 20
    while not port_file.exists():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{int(port_file.read_text())}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def test_external_server_mode_with_two_workers(
    pytester: pytest.Pytester, external_server: str
) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest
        import requests

        @pytest.mark.parametrize("n", range(12))
        def test_isolated(apple_music, apple_music_server, n):
            # Every test scripts a failure and adds ids on the one shared server.
            apple_music.fail_next(503)
            url = f"{apple_music_server.url}/v1/me/library"
            ids = [str(100 * n + k) for k in range(1, 4)]
            first = requests.post(url, params={"ids[songs]": ",".join(ids)}, headers=apple_music.headers, timeout=5)
            second = requests.post(url, params={"ids[songs]": ",".join(ids)}, headers=apple_music.headers, timeout=5)
            assert (first.status_code, second.status_code) == (503, 202)
            apple_music.assert_added(songs=ids, exactly=True)
            assert [e.status for e in apple_music.requests()] == [503, 202]

        def test_respx_forwards(apple_music, apple_music_respx):
            reply = httpx.post("https://api.music.apple.com/v1/me/library?ids[albums]=7", headers=apple_music.headers)
            assert reply.status_code == 202
            apple_music.assert_added(albums=["7"])
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", f"--apple-music-url={external_server}"
    )
    result.assert_outcomes(passed=13)
    from mockserver import AdminClient

    admin = AdminClient(external_server)
    assert admin.list_rules() == []  # every namespace reset itself
    assert admin.journal_count() == 0


def test_external_server_must_answer_once_at_session_start(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\n@pytest.mark.parametrize('n', range(50))\n"
        "def test_x(apple_music, n):\n    pass\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--apple-music-url=http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if "no apple-music-mock answers" in line]
    assert len(errors) == 1
    assert errors[0].startswith("ERROR: --apple-music-url: no apple-music-mock answers at")


def test_a_bad_settings_file_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", settings="repeated_keys = 'sometimes'\n")
    pytester.makepyfile("def test_x(apple_music):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--apple-music-config=settings.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --apple-music-config: *invalid setting 'repeated_keys'*"])


def test_a_run_without_the_fixtures_imports_nothing_of_the_fake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_light():
            assert "mockserver" not in sys.modules
            assert "starlette" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "apple-music-mock:" not in result.stdout.str()  # no header line either


def test_hypothesis_examples_get_a_fresh_state_without_suppressed_health_checks(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx
        from hypothesis import given, settings

        from pytest_plugin.strategies import id_groups

        SEEN = []

        @settings(max_examples=25, deadline=None)
        @given(ids=id_groups())
        def test_add_then_read_back(apple_music_session, ids):
            with apple_music_session.fresh() as mock, apple_music_session.respx():
                assert mock.journal_entries() == []
                assert all(not items for items in mock.get_library().values())
                query = "&".join(f"ids[{t}]={','.join(v)}" for t, v in ids.items())
                reply = httpx.post(f"https://api.music.apple.com/v1/me/library?{query}", headers=mock.headers)
                assert reply.status_code == 202
                mock.assert_requests(1, status=202)
                SEEN.append(mock.user_token)

        def test_every_example_had_its_own_namespace():
            assert len(SEEN) == len(set(SEEN)) > 1
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
