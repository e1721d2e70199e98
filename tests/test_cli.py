"""The apple-music-mock command: serve, token, errors (mockserver/cli.py)."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver import mint_developer_token
from mockserver.cli import main
from mockserver.server import bind_socket

pytestmark = pytest.mark.live

COMMAND = [sys.executable, "-m", "mockserver"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def request(
    port: int, method: str, target: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Served:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.port_file = tmp_path / f"port-{time.monotonic_ns()}"
        self.process = subprocess.Popen(
            [*COMMAND, "serve", "--port", "0", "--port-file", str(self.port_file), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        try:
            deadline = time.monotonic() + 20
            while not self.port_file.exists():
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("server did not start")
                time.sleep(0.02)
            self.port = int(self.port_file.read_text())
        except BaseException:
            self.process.kill()
            _, err = self.process.communicate()  # closes the pipes too
            raise AssertionError(f"server did not start: {err}") from None

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=15)
        return self.process.returncode, out, err


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "key.pem"
    assert run("token", "--key", str(path), "--create").returncode == 0
    return path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path)
    yield server
    server.stop(signal.SIGKILL)


def test_serve_prints_url_answers_health_and_stops_cleanly_on_sigterm(
    served: Served, tmp_path: Path
) -> None:
    assert request(served.port, "GET", "/_mock/health") == (200, b'{"status":"ok"}')
    token = run("token", "--key", str(tmp_path / "k.pem"), "--create").stdout.strip()
    headers = {"Authorization": f"Bearer {token}", "Music-User-Token": "u"}
    assert request(served.port, "POST", "/v1/me/library?ids[songs]=1564531202", headers)[0] == 202
    code, out, err = served.stop(signal.SIGTERM)
    assert code == 0
    assert f"serving on http://127.0.0.1:{served.port}" in out
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "stack",
    [
        [],
        ["--http", "auto", "--loop", "auto"],
        ["--http", "h11", "--loop", "asyncio"],
        ["--http", "httptools", "--loop", "uvloop"],
    ],
)
def test_serve_on_each_http_stack(tmp_path: Path, stack: list[str]) -> None:
    server = Served(tmp_path, *stack)
    try:
        headers = {"Authorization": f"Bearer {mint_developer_token()}", "Music-User-Token": "u"}
        target = "/v1/me/library?ids[songs]=1564531202"
        assert request(server.port, "POST", target, headers) == (202, b"")
    finally:
        code, _, err = server.stop(signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in err


def test_an_unknown_http_stack_is_a_usage_error() -> None:
    result = run("serve", "--http", "h2")
    assert result.returncode == 2
    assert "--http: invalid choice: 'h2'" in result.stderr


def test_sigint_stops_cleanly(tmp_path: Path) -> None:
    server = Served(tmp_path)
    code, _, err = server.stop(signal.SIGINT)
    assert code == 0
    assert "Traceback" not in err


def test_developer_key_turns_on_signature_verification(tmp_path: Path, key_file: Path) -> None:
    server = Served(tmp_path, "--developer-key", str(key_file))
    try:
        good = run("token", "--key", str(key_file)).stdout.strip()
        other = run("token", "--key", str(tmp_path / "other.pem"), "--create").stdout.strip()
        target = "/v1/me/library?ids[albums]=1577502911"
        assert (
            request(
                server.port,
                "POST",
                target,
                {"Authorization": f"Bearer {good}", "Music-User-Token": "u"},
            )[0]
            == 202
        )
        assert request(
            server.port,
            "POST",
            target,
            {"Authorization": f"Bearer {other}", "Music-User-Token": "u"},
        ) == (401, b"")
    finally:
        server.stop()


def test_public_key_file_is_accepted(tmp_path: Path, key_file: Path) -> None:
    public = tmp_path / "public.pem"
    public.write_text(run("token", "--key", str(key_file), "--print-public-key").stdout)
    server = Served(tmp_path, "--developer-key", str(public))
    try:
        good = run("token", "--key", str(key_file)).stdout.strip()
        headers = {"Authorization": f"Bearer {good}", "Music-User-Token": "u"}
        assert request(server.port, "POST", "/v1/me/library?ids[songs]=1", headers)[0] == 202
    finally:
        server.stop()


def test_the_demo_catalog_answers_lookups(tmp_path: Path) -> None:
    server = Served(tmp_path, "--catalog", "demo")
    token = mint_developer_token()
    try:
        target = "/v1/catalog/us/songs?filter[isrc]=QZAAA2600001"
        status, body = request(server.port, "GET", target, {"Authorization": f"Bearer {token}"})
        assert status == 200
        assert b"Yesterday's Fixture" in body
    finally:
        server.stop()


def test_an_invalid_catalog_file_is_a_usage_error(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text('{"songs": [{"attributes": {}}]}')
    result = run("serve", "--catalog", str(catalog))
    assert result.returncode == 2
    assert "invalid setting 'catalog'['songs'][0]" in result.stderr


def test_config_file_is_applied(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('unauthorized_body = "errors"\n')
    server = Served(tmp_path, "--config", str(config))
    try:
        status, body = request(server.port, "POST", "/v1/me/library?ids[songs]=1")
        assert status == 401
        assert b'"40100"' in body
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "abc"], "invalid port 'abc'"),
        (["serve", "--port", "70000"], "must be 0-65535"),
        (["serve", "--bogus"], "unrecognized arguments: --bogus"),
        (["serve", "--config", "missing.toml"], "cannot read config file"),
        (["serve", "--catalog", "missing.json"], "cannot read catalog file"),
        (["serve", "--developer-key", "missing.pem"], "cannot read developer key"),
        (["token", "--team-id", "short"], "--team-id 'short' must be exactly 10 characters"),
        (["token", "--lifetime", "0"], "--lifetime 0 must be between 1 and 15777000"),
        (["token", "--lifetime", "15777001"], "between 1 and 15777000 seconds"),
        (["token", "--key", "typo.pem"], "no key file 'typo.pem' (give --create"),
        (["serve", "--port-file", "no/such/dir/port"], "the directory 'no/such/dir' does not"),
        (["serve", "--developer-key", "notakey.txt"], "not a PEM public or private key"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "notakey.txt").write_text("just some text, PRIVATE-PART")
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_config_value_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text('{"repeated_keys": "never"}')
    result = run("serve", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "invalid setting 'repeated_keys'" in result.stderr


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        result = run("serve", "--port", str(sock.getsockname()[1]))
    finally:
        sock.close()
    assert result.returncode == 2
    assert result.stderr.startswith("apple-music-mock: error: cannot bind 127.0.0.1:")
    assert result.stderr.count("\n") == 1


def test_token_writes_a_private_key_and_prints_a_token(tmp_path: Path) -> None:
    result = run("token", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.count(".") == 2
    assert (
        (tmp_path / "apple-music-mock-key.pem")
        .read_text()
        .startswith("-----BEGIN PRIVATE KEY-----")
    )


def test_main_is_importable_and_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    assert "serve" in capsys.readouterr().out


@pytest.mark.skipif(
    shutil.which("apple-music-mock") is None, reason="console script not installed"
)
def test_console_script_is_installed() -> None:
    result = subprocess.run(
        ["apple-music-mock", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    assert result.returncode == 0
    assert "token" in result.stdout


def test_a_key_file_error_never_shows_its_content(tmp_path: Path) -> None:
    (tmp_path / "jwk.json").write_text('{"kty": "EC", "crv": "P-384", "d": "PRIVATE-PART"}')
    (tmp_path / "bad.pem").write_text("-----BEGIN PRIVATE KEY-----\nPRIVATE-PART\n")
    for name in ("jwk.json", "bad.pem"):
        result = run("serve", "--developer-key", name, cwd=tmp_path)
        assert result.returncode == 2
        assert "PRIVATE-PART" not in result.stderr + result.stdout, result.stderr


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from mockserver import __version__

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"apple-music-mock {__version__}"


def test_token_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["token", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: 3600)" in out
    assert "(default: MOCKTEAM01)" in out
    assert "(default: MOCKKEY001)" in out
    assert "(default: ./apple-music-mock-key.pem, created on first use)" in out
    assert "(default: None)" not in out
    assert "(default: False)" not in out


def test_banner_says_what_is_verified_and_the_port_file_goes_away(
    tmp_path: Path, key_file: Path
) -> None:
    stale = tmp_path / "stale-port"
    stale.write_text("1\n")
    server = Served(tmp_path, "--developer-key", str(key_file))
    port_file = server.port_file
    code, out, _ = server.stop()
    assert code == 0
    assert "developer tokens: signatures verified; admin API: loopback only" in out
    assert not port_file.exists()
    plain = Served(tmp_path)
    _, out, _ = plain.stop()
    assert "signatures NOT verified" in out


def test_refusals_are_logged_at_info_with_their_reason_never_the_token(tmp_path: Path) -> None:
    server = Served(tmp_path, "--log-level", "info", "--access-log")
    token = "Bearer not-a-jwt-SECRET"
    request(server.port, "POST", "/v1/me/library?ids[songs]=1", {"Authorization": token})
    request(server.port, "GET", "/_mock/journal?user_token=SECRET-USER")
    _, _, err = server.stop()
    assert "POST /v1/me/library -> 401 : structure" in err
    assert '"GET /_mock/journal?user_token=[redacted] HTTP/1.1" 200' in err
    assert "SECRET" not in err


def test_access_log_works_at_the_default_level(tmp_path: Path) -> None:
    server = Served(tmp_path, "--access-log")
    request(server.port, "GET", "/_mock/health")
    _, _, err = server.stop()
    assert '"GET /_mock/health HTTP/1.1" 200' in err


def test_a_non_loopback_bind_warns(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    process = subprocess.Popen(
        [*COMMAND, "serve", "--host", "0.0.0.0", "--port", "0", "--port-file", str(port_file)],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not port_file.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=15)
    assert "WARNING: serving on 0.0.0.0: reachable from other machines" in err
