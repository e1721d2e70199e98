"""apple-music-mock verify: --against another fake, --har recordings, credentials, and the
--apple-music-live pytest option (mockserver/verify.py, har.py, pytest_plugin/live.py).
No test touches the real network."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver import create_app, mint_developer_token
from mockserver.contract import load_cases
from mockserver.marks import load_marks
from mockserver.verify import DEVELOPER_TOKEN_ENV, USER_TOKEN_ENV, call_app

COMMAND = [sys.executable, "-m", "mockserver"]
CREDENTIALS = (DEVELOPER_TOKEN_ENV, USER_TOKEN_ENV)


def _env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in CREDENTIALS}
    env.update(extra)
    return env


def verify(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "verify", *args], capture_output=True, text=True, timeout=120, env=_env(**env)
    )


class Served:
    """``python -m mockserver serve --port 0 --port-file F`` in a subprocess."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        port_file = tmp_path / f"port-{time.monotonic_ns()}"
        self.process = subprocess.Popen(
            [*COMMAND, "serve", "--port", "0", "--port-file", str(port_file), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError("server did not start")
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{int(port_file.read_text())}"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def served_differently(tmp_path: Path) -> Iterator[Served]:
    config = tmp_path / "other.toml"
    config.write_text('missing_user_token_status = 401\nrepeated_keys = "reject"\n')
    server = Served(tmp_path, "--config", str(config))
    yield server
    server.stop()


SAFE = [case.id for case in load_cases() if case.safe]


@pytest.mark.live
def test_against_an_identical_fake_nothing_drifts(served: Served) -> None:
    done = verify("--against", served.url, "--pace", "0", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [case["id"] for case in report["cases"]] == SAFE
    assert {case["verdict"] for case in report["cases"]} == {"agree"}
    guesses = [case["guess"] for case in report["cases"] if case["guess"]]
    assert guesses
    assert {guess["verdict"] for guess in guesses} == {"settled"}
    assert report["summary"] == {"agree": len(SAFE), "drift": 0, "unverifiable": 0}


@pytest.mark.live
def test_a_case_that_adds_is_sent_only_with_the_users_ids(served: Served) -> None:
    done = verify("--against", served.url, "--pace", "0", "--ids", "songs=1577502911,1", "--json")
    assert done.returncode == 0, done.stderr
    cases = {case["id"]: case for case in json.loads(done.stdout)["cases"]}
    assert set(cases) == {*SAFE, "accepted"}
    assert cases["accepted"]["request"] == "POST /v1/me/library?ids[songs]=1577502911,1"
    assert cases["accepted"]["verdict"] == "agree"


@pytest.mark.live
def test_against_a_differently_configured_fake_exactly_those_cases_drift(
    served_differently: Served,
) -> None:
    secret_user = "secret-user-token-0123456789"
    secret_developer = mint_developer_token()
    done = verify(
        "--against",
        served_differently.url,
        "--pace",
        "0",
        **{DEVELOPER_TOKEN_ENV: secret_developer, USER_TOKEN_ENV: secret_user},
    )
    assert done.returncode == 1, done.stderr
    drifted = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("drift")]
    assert drifted == ["missing-user-token", "empty-user-token", "repeated-keys"]
    assert (
        done.stdout.count(
            "[guess: missing-user-token] missing_user_token_status = 403: contradicted; "
            "missing_user_token_status = 401 would match"
        )
        == 2
    )
    assert (
        '[guess: repeated-keys] repeated_keys = "merge": contradicted; repeated_keys = '
        '"reject" would match'
    ) in done.stdout
    # A guess the cases cannot try values of is still named with its table entry.
    assert "[guess: own-error-codes] no setting (a rule scripts another answer): settled" in (
        done.stdout
    )
    assert f"summary: {len(SAFE) - 3} agree, 3 drift, 0 unverifiable" in done.stdout
    for secret in (secret_user, secret_developer, secret_developer.split(".")[2]):
        assert secret not in done.stdout + done.stderr

    as_json = verify("--against", served_differently.url, "--pace", "0", "--json")
    assert as_json.returncode == 1
    cases = {case["id"]: case for case in json.loads(as_json.stdout)["cases"]}
    assert cases["repeated-keys"]["guess"] == {
        "id": "repeated-keys",
        "setting": "repeated_keys",
        "current": "merge",
        "verdict": "contradicted",
        "matching": ["reject"],
        "evidence": load_marks()["guesses"][0]["evidence"],
    }
    assert cases["target-too-long"]["guess"]["setting"] == "max_target_length"
    assert cases["missing-user-token"]["real"]["status"] == 401


@pytest.mark.live
def test_the_same_settings_on_both_sides_agree(served_differently: Served, tmp_path: Path) -> None:
    config = tmp_path / "same.json"
    config.write_text(json.dumps({"missing_user_token_status": 401, "repeated_keys": "reject"}))
    done = verify("--against", served_differently.url, "--pace", "0", "--config", str(config))
    assert done.returncode == 0, done.stdout


def test_without_credentials_the_real_api_is_refused_before_any_connection() -> None:
    started = time.monotonic()
    done = verify("--against", "https://api.music.apple.com")
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("apple-music-mock: error: verify --against https://api.music.apple.com")
    assert DEVELOPER_TOKEN_ENV in line
    assert USER_TOKEN_ENV in line
    assert time.monotonic() - started < 30
    default = verify()  # --against defaults to the real API
    assert default.returncode == 2
    assert "needs credentials" in default.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--against", "ftp://example.com"], "not an http(s) URL"),
        (["--pace", "-1"], "invalid pace"),
        (["--ids", "songs"], "expected TYPE=ID[,ID...]"),
        (["--against", "http://127.0.0.1:1", "--har", "x.har"], "not allowed with"),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], message: str) -> None:
    done = verify(*args)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1
    assert message in done.stderr


# --- HAR -------------------------------------------------------------------------------------

RECORDED_DEVELOPER = mint_developer_token()
RECORDED_USER = "recorded-user-secret-42"
API = "https://api.music.apple.com"
#: (method, URL, headers, differs between the recording fake and a default one)
EXCHANGES: list[tuple[str, str, dict[str, str], bool]] = [
    (
        "POST",
        f"{API}/v1/me/library?ids[songs]=1564531202",
        {"Music-User-Token": RECORDED_USER},
        False,
    ),
    ("POST", f"{API}/v1/me/library?ids[songs]=1", {}, True),
    (
        "POST",
        f"{API}/v1/me/library?ids[songs]=1&ids[songs]=2",
        {"Music-User-Token": RECORDED_USER},
        True,
    ),
    ("POST", f"{API}/v1/me/library?ids[artists]=1", {"Music-User-Token": RECORDED_USER}, False),
    ("GET", f"{API}/v1/me/library/songs", {"Music-User-Token": RECORDED_USER}, False),
    (
        "POST",
        "https://amp-api.music.apple.com/v1/me/library?ids[albums]=1577502911",
        {"Media-User-Token": "other-recorded-user"},
        False,
    ),
]


def _record(app: Any, method: str, url: str, headers: dict[str, str]) -> dict[str, Any]:
    target = url.split("/", 3)[3]
    sent = {"Host": url.split("/")[2], "Authorization": f"Bearer {RECORDED_DEVELOPER}", **headers}
    status, body = call_app(app, method, f"/{target}", sent)
    return {
        "startedDateTime": "2026-11-29T04:00:00.000Z",
        "time": 10,
        "request": {
            "method": method,
            "url": url,
            "httpVersion": "HTTP/2",
            "headers": [{"name": name, "value": value} for name, value in sent.items()],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": {
            "status": status,
            "statusText": "",
            "httpVersion": "HTTP/2",
            "headers": [],
            "cookies": [],
            "content": {"size": len(body), "mimeType": "application/json", "text": body.decode()},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": len(body),
        },
        "cache": {},
        "timings": {"send": 0, "wait": 10, "receive": 0},
    }


def _har(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}
    }


@pytest.fixture
def recorded() -> list[dict[str, Any]]:
    """The exchanges as a fake with other settings answered them, in order."""
    app = create_app(missing_user_token_status=401, repeated_keys="reject")
    return [_record(app, method, url, headers) for method, url, headers, _ in EXCHANGES]


def test_a_har_replay_reports_exactly_the_differing_exchanges(
    tmp_path: Path, recorded: list[dict[str, Any]]
) -> None:
    har = tmp_path / "web-player.har"
    har.write_text(json.dumps(_har(recorded)))
    done = verify("--har", str(har))
    assert done.returncode == 1, done.stderr
    drifted = [
        int(line.split()[1].lstrip("#"))
        for line in done.stdout.splitlines()
        if line.startswith("drift")
    ]
    assert drifted == [n for n, (*_, differs) in enumerate(EXCHANGES, 1) if differs]
    assert "summary: 4 agree, 2 drift, 0 unverifiable, 0 skipped" in done.stdout
    for secret in (RECORDED_USER, "other-recorded-user", RECORDED_DEVELOPER.split(".")[2]):
        assert secret not in done.stdout + done.stderr
    same = tmp_path / "same.toml"
    same.write_text('missing_user_token_status = 401\nrepeated_keys = "reject"\n')
    assert verify("--har", str(har), "--config", str(same)).returncode == 0


def test_the_read_back_sees_what_the_recording_added_before(
    tmp_path: Path, recorded: list[dict[str, Any]]
) -> None:
    har = tmp_path / "r.har"
    har.write_text(json.dumps(_har(recorded)))
    report = json.loads(verify("--har", str(har), "--json").stdout)
    read_back = report["exchanges"][4]
    assert read_back["verdict"] == "agree"
    assert read_back["fake"]["status"] == 200
    assert report["summary"] == {"agree": 4, "drift": 2, "skipped": 0}


def test_a_json_lines_recording_is_read_the_same(
    tmp_path: Path, recorded: list[dict[str, Any]]
) -> None:
    lines = [
        json.dumps(
            {
                "request": entry["request"],
                "response": {
                    "status": entry["response"]["status"],
                    "headers": [],
                    "body": entry["response"]["content"]["text"],
                },
            }
        )
        for entry in recorded
    ]
    recording = tmp_path / "client.jsonl"
    recording.write_text("\n".join(lines) + "\n")
    done = verify("--har", str(recording))
    assert done.returncode == 1
    assert "summary: 4 agree, 2 drift, 0 unverifiable, 0 skipped" in done.stdout


def test_other_hosts_and_paths_are_skipped(tmp_path: Path, recorded: list[dict[str, Any]]) -> None:
    others = [dict(recorded[0]), dict(recorded[0]), dict(recorded[0])]
    others[0]["request"] = {**recorded[0]["request"], "url": "https://example.com/v1/me/library"}
    others[1]["request"] = {**recorded[0]["request"], "url": f"{API}/v1/catalog/us/songs/1"}
    others[2]["request"] = {**recorded[0]["request"], "url": "https://js-cdn.music.apple.com/x.js"}
    har = tmp_path / "other.har"
    har.write_text(json.dumps(_har(others)))
    done = verify("--har", str(har))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["skipped"] * 3
    assert "host example.com is not Apple Music API's" in lines[1]
    assert "path /v1/catalog/us/songs/1 is not one the fake serves" in lines[2]
    assert "summary: 0 agree, 0 drift, 0 unverifiable, 3 skipped" in done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "neither a HAR 1.2 file nor a JSON-lines recording (line 1 is not JSON)"),
        ('{"log": {"version": "1.2"}}', "not a HAR 1.2 file (no log.entries list)"),
        (
            '{"log": {"entries": [{"request": {"method": "GET"}, "response": {}}]}}',
            "entry 1: request needs a string 'method' and 'url'",
        ),
        ("", "no exchanges in it"),
    ],
)
def test_a_malformed_har_is_one_error_line(tmp_path: Path, content: str, message: str) -> None:
    har = tmp_path / "bad.har"
    har.write_text(content)
    done = verify("--har", str(har))
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("apple-music-mock: error: --har ")
    assert message in line


def test_a_missing_har_file_is_one_error_line(tmp_path: Path) -> None:
    done = verify("--har", str(tmp_path / "none.har"))
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1


# --- --apple-music-live ------------------------------------------------------------------------

LIVE_TEST = """
def test_live(apple_music_live_case):
    apple_music_live_case.assert_agrees()
"""


def test_live_cases_skip_without_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LIVE_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=len(SAFE))
    result.stdout.fnmatch_lines(["*pass --apple-music-live to send the contract's safe cases*"])


def test_live_cases_skip_with_a_clear_reason_without_credentials(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(LIVE_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs", "--apple-music-live")
    result.assert_outcomes(skipped=len(SAFE))
    result.stdout.fnmatch_lines(
        [
            f"*--apple-music-live needs credentials: {DEVELOPER_TOKEN_ENV} and "
            f"{USER_TOKEN_ENV} not set (nothing was sent)*"
        ]
    )


def test_429_is_retried_after_retry_after_then_unverifiable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mockserver import Settings
    from mockserver.verify import MAX_RETRY_AFTER, RETRIES_ON_429, check_against

    waits: list[float] = []
    monkeypatch.setattr("mockserver.verify.time.sleep", waits.append)
    [case] = [case for case in load_cases() if case.id == "no-ids"]
    answers = [(429, {"Retry-After": "2"}, b""), (429, {}, b"")]
    error = b'{"errors":[{"id":"X","code":"40005","source":{"parameter":"ids"}}]}'

    def send(method: str, url: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        assert url == "https://api.example/v1/me/library"
        return answers.pop(0) if answers else (400, {}, error)

    [result] = check_against(
        "https://api.example", Settings(), "t", "u", pace=0.5, send=send, cases=[case]
    )
    assert result.verdict == "agree"
    assert waits == [2.0, 1.0 * 2]  # Retry-After, then backing off from the pace

    waits.clear()
    huge = (429, {"retry-after": "3600"}, b"")
    [limited] = check_against(
        "https://api.example", Settings(), "t", "u", send=lambda *a: huge, cases=[case]
    )
    assert limited.verdict == "unverifiable"
    assert "still rate limited" in limited.reason
    assert waits == [MAX_RETRY_AFTER] * RETRIES_ON_429


@pytest.mark.live
def test_live_cases_run_against_the_given_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, served_differently: Served
) -> None:
    monkeypatch.setenv(DEVELOPER_TOKEN_ENV, mint_developer_token())
    monkeypatch.setenv(USER_TOKEN_ENV, "live-user-secret-7")
    pytester.makepyfile(LIVE_TEST)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--apple-music-live",
        "--apple-music-live-url",
        served_differently.url,
    )
    result.assert_outcomes(passed=len(SAFE) - 3, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*repeated-keys drifted: fake 202 - empty, real 400 40005 errors*"
            'repeated_keys = "reject" would match*'
        ]
    )
    assert "live-user-secret-7" not in result.stdout.str()
