"""The README's code runs as written."""

from __future__ import annotations

import http.client
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from mockserver import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_readme_starts_with_exactly_two_commands() -> None:
    before_curl = README.split("Then, from another shell")[0]
    commands = re.findall(r"```sh\n(.*?)```", before_curl, flags=re.DOTALL)
    assert [c.strip() for c in commands] == [
        "pip install . && apple-music-mock serve",
        "pip install -e '.[dev]' && pytest",
    ]
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "pip install -e '.[dev]' && " in ci
    assert "pytest" in ci


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_blocks_run(index: int) -> None:
    exec(compile(blocks("python")[index], f"README.md python block {index}", "exec"), {})


@pytest.mark.live
def test_pytest_blocks_pass_under_the_plugin(pytester: pytest.Pytester) -> None:
    (block,) = blocks("python test")
    pytester.makepyfile(test_readme_example=block)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=5)


def test_toml_block_is_a_valid_config() -> None:
    (block,) = blocks("toml")
    settings = Settings.from_mapping(tomllib.loads(block))
    assert settings.repeated_keys == "reject"


def test_every_setting_is_documented() -> None:
    for name in Settings().to_mapping():
        assert f"`{name}`" in README, name


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.live
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
@pytest.mark.skipif(not _port_free(8080), reason="port 8080 is busy")
def test_serve_on_8080_and_the_curl_example_gets_202(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "apple-music-mock").exists():
        pytest.skip("console script not installed next to this Python")
    server = subprocess.Popen(
        [str(bin_dir / "apple-music-mock"), "serve"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            connection = http.client.HTTPConnection("127.0.0.1", 8080, timeout=1)
            try:
                connection.request("GET", "/_mock/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                connection.close()
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "server on 8080 did not become ready"
            time.sleep(0.05)
        curl = next(b for b in blocks("sh") if "curl" in b)
        result = subprocess.run(
            ["bash", "-c", curl],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        )
        assert result.stdout.strip() == "202", result.stderr
    finally:
        server.terminate()
        server.communicate(timeout=15)
