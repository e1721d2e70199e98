"""The CI recipe in examples/ci/ is run, not just shown: the shell script end to end (passing,
failing, a fake that cannot start), the GitHub Actions workflow that calls it, and what can
be checked of the Dockerfile without a container runtime (its command parses with the CLI,
its health check answers, /openapi.json is reachable)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mockserver import create_app
from mockserver.cli import ADMIN_TOKEN_ENV, build_parser

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "examples" / "ci"
SCRIPT = CI / "run-contract-tests.sh"
WORKFLOW = ROOT / ".github" / "workflows" / "contract-tests.yml"
DOCKERFILE = ROOT / "Dockerfile"

FAILING_SUITE = """
import httpx


def test_sends_an_unknown_type(apple_music_server, developer_token, music_user_token):
    reply = httpx.post(
        f"{apple_music_server.url}/v1/me/library",
        params={"ids[artists]": "178834"},
        headers={"Authorization": f"Bearer {developer_token}", "Music-User-Token": music_user_token},
    )
    assert reply.status_code == 202
"""


@dataclass
class Run:
    returncode: int
    output: str
    work_dir: Path

    @property
    def port(self) -> int:
        match = re.search(r"ready at http://127\.0\.0\.1:(\d+)", self.output)
        assert match, self.output
        return int(match.group(1))


def run_script(tmp_path: Path, *args: str, **env: str) -> Run:
    """The script as CI runs it: from an unrelated directory, the interpreter's own
    apple-music-mock first on PATH, no admin token unless given."""
    work_dir = tmp_path / "ci"
    environ = {
        name: value
        for name, value in os.environ.items()
        if name != ADMIN_TOKEN_ENV and not name.startswith("PYTEST_")
    }
    bin_dir = str(Path(sys.executable).parent)
    environ.update(
        PATH=f"{bin_dir}{os.pathsep}{environ.get('PATH', '')}",
        PYTHON=sys.executable,
        APPLE_MUSIC_MOCK_CI_DIR=str(work_dir),
        **env,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    result = subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=elsewhere,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    return Run(result.returncode, result.stdout, work_dir)


def port_is_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_script_is_valid_bash_in_strict_mode() -> None:
    text = SCRIPT.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    assert os.access(SCRIPT, os.X_OK), "chmod +x examples/ci/run-contract-tests.sh"
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True, timeout=30)


@pytest.mark.live
def test_recipe_runs_the_sample_suite_and_stops_the_fake(tmp_path: Path) -> None:
    run = run_script(tmp_path)
    assert run.returncode == 0, run.output
    assert "3 passed" in run.output
    assert "external server http://127.0.0.1:" in run.output  # really ran with --apple-music-url
    assert port_is_closed(run.port)
    assert not (run.work_dir / "port").exists()  # the fake removed it on a clean exit
    assert not (run.work_dir / "journal.json").exists()
    assert "Traceback" not in (run.work_dir / "server.log").read_text()


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    tmp_path = tmp_path_factory.mktemp("failing")
    suite = tmp_path / "test_failing_client.py"
    suite.write_text(FAILING_SUITE)
    return run_script(tmp_path, "--journal", str(tmp_path / "out" / "journal.json"), str(suite))


@pytest.mark.live
def test_a_failing_suite_fails_the_job_and_leaves_the_journal(failed_run: Run) -> None:
    assert failed_run.returncode == 1, failed_run.output
    assert "1 failed" in failed_run.output
    journal = failed_run.work_dir.parent / "out" / "journal.json"
    assert f"the fake's journal is in {journal}" in failed_run.output
    assert "entries" in json.loads(journal.read_text())
    assert port_is_closed(failed_run.port)
    assert not (failed_run.work_dir / "port").exists()


@pytest.mark.live
def test_the_saved_journal_holds_the_failed_tests_requests(failed_run: Run) -> None:
    journal = json.loads((failed_run.work_dir.parent / "out" / "journal.json").read_text())
    assert [entry["status"] for entry in journal["entries"]] == [400]


@pytest.mark.live
def test_a_fake_that_cannot_start_fails_clearly(tmp_path: Path) -> None:
    started = time.monotonic()
    run = run_script(tmp_path, APPLE_MUSIC_MOCK_SERVE_ARGS=f"--config {tmp_path}/missing.toml")
    assert run.returncode == 1, run.output
    assert "the fake exited before it was ready" in run.output
    assert "missing.toml" in run.output  # its log is shown
    assert time.monotonic() - started < 60


# --- the GitHub Actions workflow -------------------------------------------------------------


def test_workflow_runs_the_script_and_keeps_the_journal_on_failure() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    scripts = re.findall(r"[\w./-]+\.sh\b", text)
    assert scripts, "the workflow runs no script"
    for script in scripts:
        assert (ROOT / script).is_file(), f"the workflow runs {script}, which does not exist"
    assert "examples/ci/run-contract-tests.sh" in scripts
    assert 'python-version: "3.12"' in text
    assert "pip install '.[pytest]'" in text
    # The directory the script writes into is the one the artifact step uploads from.
    (work_dir,) = re.findall(r"APPLE_MUSIC_MOCK_CI_DIR: (.+)", text)
    run_at = text.index("run: bash examples/ci/run-contract-tests.sh")
    upload_at = text.index("actions/upload-artifact")
    assert run_at < upload_at
    assert "if: failure()" in text[run_at:upload_at]
    assert f"{work_dir}/journal.json" in text[upload_at:]


# --- the Dockerfile ----------------------------------------------------------------------------


def dockerfile_instruction(name: str) -> str:
    """The instruction's arguments, continuation lines joined (the last one of its kind)."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = [
        line[len(name) :].strip() for line in text.splitlines() if line.startswith(name + " ")
    ]
    assert found, f"no {name} in the Dockerfile"
    return found[-1]


def dockerfile_cmd() -> list[str]:
    command = json.loads(dockerfile_instruction("CMD"))
    assert isinstance(command, list)
    return [str(part) for part in command]


def healthcheck_cmd() -> list[str]:
    options_and_command = dockerfile_instruction("HEALTHCHECK")
    command = json.loads(options_and_command[options_and_command.index("CMD ") + 4 :])
    assert isinstance(command, list)
    return [str(part) for part in command]


def test_dockerfile_command_parses_with_the_cli() -> None:
    command = dockerfile_cmd()
    assert command[:2] == ["apple-music-mock", "serve"]
    args = build_parser().parse_args(command[1:])  # an unknown option would exit here
    assert (args.host, args.port) == ("0.0.0.0", 8080)
    assert dockerfile_instruction("EXPOSE") == "8080"
    assert dockerfile_instruction("FROM") == "python:3.12-slim"
    assert 'apple-music-mock = "mockserver.cli:main"' in (ROOT / "pyproject.toml").read_text()


def test_dockerfile_bakes_no_admin_token() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert not re.search(rf"^\s*(ENV|ARG)\b.*{ADMIN_TOKEN_ENV}", text, flags=re.MULTILINE)
    assert f"-e {ADMIN_TOKEN_ENV}=" in text  # the run command documents it instead


def test_healthcheck_targets_the_health_route_on_the_exposed_port() -> None:
    command = healthcheck_cmd()
    assert command[:2] == ["python", "-c"]
    (url,) = re.findall(r"http://[^'\"]+", command[2])
    assert url == "http://127.0.0.1:8080/_mock/health"


def test_health_route_and_openapi_are_served_in_process() -> None:
    """The routes the image relies on, as a client outside the container reaches them (a
    non-loopback address on both ends): /openapi.json is open, /_mock/ needs the token."""
    token = "ci-admin-token-0123"

    async def fetch() -> list[httpx.Response]:
        app = create_app(admin_token=token)
        transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 40000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://192.0.2.1:8080"
        ) as client:
            return [
                await client.get("/_mock/health", headers={"X-Mock-Admin-Token": token}),
                await client.get("/_mock/health"),
                await client.get("/openapi.json"),
            ]

    healthy, refused, openapi = asyncio.run(fetch())
    assert healthy.status_code == 200
    assert healthy.json() == {"status": "ok"}
    assert refused.status_code == 403
    assert openapi.status_code == 200
    assert "/_mock/health" in openapi.json()["paths"]


@pytest.fixture
def container_command(tmp_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """The Dockerfile's CMD as the container runs it (0.0.0.0, an admin token from the
    environment), on a free port instead of 8080."""
    command = dockerfile_cmd()
    port_at = command.index("--port") + 1
    command[port_at] = "0"
    port_file = tmp_path / "port"
    env = {**os.environ, ADMIN_TOKEN_ENV: "container-admin-token"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", *command[1:], "--port-file", str(port_file)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the fake did not start in 30 s"
            time.sleep(0.05)
        yield int(port_file.read_text()), env
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "reachable from other machines" in err  # the non-loopback warning


@pytest.mark.live
def test_healthcheck_passes_against_the_container_command(
    container_command: tuple[int, dict[str, str]],
) -> None:
    port, env = container_command
    _, flag, code = healthcheck_cmd()
    code = code.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    check = [sys.executable, flag, code]
    healthy = subprocess.run(check, env=env, capture_output=True, text=True, timeout=30)
    assert healthy.returncode == 0, healthy.stderr
    wrong = {**env, ADMIN_TOKEN_ENV: "not-the-admin-token"}
    unhealthy = subprocess.run(check, env=wrong, capture_output=True, text=True, timeout=30)
    assert unhealthy.returncode != 0
    assert "403" in unhealthy.stderr
    openapi = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=10)
    assert openapi.status_code == 200
