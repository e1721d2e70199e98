"""Same answers everywhere: one set of behaviour tests (``tests/modes/behaviours.py``, written
only against the README's fixtures) run in process and against the per-session server (one
run: its ``post`` fixture takes both routes), and against an external server started as CI
would — with ``--developer-key``, an admin token, bound to every interface — each under
``-n 2``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockserver.tokens import generate_private_key, public_key_pem

pytestmark = pytest.mark.live

BEHAVIOURS = Path(__file__).parent / "modes" / "behaviours.py"
#: Tests in the behaviour file, each run through both routes (respx and the server URL).
EXPECTED = 2 * (1 + 1 + 1 + 6 + 6 + 1 + 1 + 1 + 1 + 1)
ADMIN_TOKEN = "modes-admin-token-0123456789"
#: The catalog importer and playlist-transfer examples, their tests run through both routes.
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass
class External:
    url: str
    log: Path
    process: subprocess.Popen[bytes]


@pytest.fixture
def external(tmp_path: Path) -> Iterator[External]:
    """``apple-music-mock serve`` trusting only its own developer key, with an admin token,
    bound to 0.0.0.0 (reached through 127.0.0.1)."""
    key_file, port_file, log = tmp_path / "key.pem", tmp_path / "port", tmp_path / "server.log"
    key_file.write_text(public_key_pem(generate_private_key()))
    command = [
        *(sys.executable, "-m", "mockserver", "serve", "--host", "0.0.0.0", "--port", "0"),
        *("--port-file", str(port_file), "--developer-key", str(key_file)),
    ]
    env = {**os.environ, "APPLE_MUSIC_MOCK_ADMIN_TOKEN": ADMIN_TOKEN}
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink, env=env)
    deadline = time.monotonic() + 20
    while not port_file.exists():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)
    try:
        yield External(f"http://127.0.0.1:{int(port_file.read_text())}", log, process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def run_behaviours(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_behaviours=BEHAVIOURS.read_text())
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", *args)


#: Each example run in the modes: its files (the test file and the modules it imports), the
#: data it reads, and how many tests it has.
EXAMPLE_RUNS = {
    "importer": (("importer", "test_importer"), ("importer_rows.csv",), 16),
    "transfer": (("importer", "transfer", "test_transfer"), (), 22),
}


def run_example(pytester: pytest.Pytester, name: str, *args: str) -> pytest.RunResult:
    modules, data, _ = EXAMPLE_RUNS[name]
    pytester.makepyfile(**{module: (EXAMPLES / f"{module}.py").read_text() for module in modules})
    for file in data:
        (pytester.path / file).write_text((EXAMPLES / file).read_text())
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", *args)


@pytest.mark.parametrize("name", sorted(EXAMPLE_RUNS))
def test_the_examples_in_process_and_per_session_server(
    pytester: pytest.Pytester, name: str
) -> None:
    run_example(pytester, name).assert_outcomes(passed=EXAMPLE_RUNS[name][2])


@pytest.mark.parametrize("name", sorted(EXAMPLE_RUNS))
def test_the_examples_against_an_external_server(
    pytester: pytest.Pytester, external: External, name: str
) -> None:
    result = run_example(
        pytester,
        name,
        f"--apple-music-url={external.url}",
        f"--apple-music-admin-token={ADMIN_TOKEN}",
    )
    result.assert_outcomes(passed=EXAMPLE_RUNS[name][2])


def test_in_process_and_per_session_server(pytester: pytest.Pytester) -> None:
    run_behaviours(pytester).assert_outcomes(passed=EXPECTED)


def test_the_playlist_client_passes_in_strict_mode(pytester: pytest.Pytester) -> None:
    # every library call it makes (add, reads, create, add tracks) is one the real API takes
    result = run_behaviours(pytester, "--apple-music-strict", "-k", "playlist_client or migrator")
    result.assert_outcomes(passed=4)


def test_external_server_with_its_own_key_and_an_admin_token(
    pytester: pytest.Pytester, external: External
) -> None:
    result = run_behaviours(
        pytester, f"--apple-music-url={external.url}", f"--apple-music-admin-token={ADMIN_TOKEN}"
    )
    result.assert_outcomes(passed=EXPECTED)
    from mockserver import AdminClient

    admin = AdminClient(external.url, admin_token=ADMIN_TOKEN)
    assert admin.list_rules() == []  # every namespace reset itself: rules, settings
    # Only the requests that carried no Music-User-Token (no namespace) are left.
    assert [(e.user, e.status) for e in admin.journal_entries()] == [(None, 403)] * 2
    assert admin.settings.repeated_keys == "merge"
    # Its own, and the session key of the xdist controller and of each worker.
    assert len(admin.settings.developer_keys) == 4
    assert ADMIN_TOKEN not in external.log.read_text()


def test_admin_token_from_the_environment_or_ini(
    pytester: pytest.Pytester, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLE_MUSIC_MOCK_ADMIN_TOKEN", ADMIN_TOKEN)
    run_behaviours(pytester, f"--apple-music-url={external.url}").assert_outcomes(passed=EXPECTED)
    monkeypatch.delenv("APPLE_MUSIC_MOCK_ADMIN_TOKEN")
    pytester.makeini(f"[pytest]\napple_music_admin_token = {ADMIN_TOKEN}\n")
    run_behaviours(pytester, f"--apple-music-url={external.url}").assert_outcomes(passed=EXPECTED)


def test_without_the_admin_token_the_run_stops_once_with_a_hint(
    pytester: pytest.Pytester, external: External, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APPLE_MUSIC_MOCK_ADMIN_TOKEN", raising=False)
    pytester.makepyfile(test_behaviours=BEHAVIOURS.read_text())
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--apple-music-url={external.url}"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --apple-music-url: the admin API * refused the plugin*--apple-music-admin-token*"]
    )
