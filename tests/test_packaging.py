"""The wheel ships the schemas and serves from an installed copy, not the source tree; the
sdist holds every file its own tests read, and its tests pass."""

from __future__ import annotations

import ast
import os
import site
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.packaging

PROBE = """
import asyncio, json
import httpx
import mockserver
from mockserver import create_app, mint_developer_token
from mockserver.schemas import schema_dir

headers = {"Authorization": "Bearer " + mint_developer_token(), "Music-User-Token": "u"}

async def post(target):
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        return await client.post(target, headers=headers)

ok = asyncio.run(post("/v1/me/library?ids[songs]=1564531202"))
bad = asyncio.run(post("/v1/me/library?ids[artists]=1"))
print(json.dumps({
    "module": mockserver.__file__,
    "schemas": str(schema_dir()),
    "files": sorted(p.name for p in schema_dir().glob("*.json")),
    "ok": ok.status_code,
    "bad": bad.json()["errors"][0]["code"],
}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once for this module."""
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = wheels.glob("apple_music_mock-*.whl")
    return built


def test_wheel_installed_in_a_fresh_venv_serves_with_its_own_schemas(
    tmp_path: Path, wheel: Path
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata,) = (n for n in names if n.endswith(".dist-info/METADATA"))
        metadata_text = archive.read(metadata).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: MIT" in metadata_text
    for label in ("Homepage", "Documentation", "Source", "Issues", "Changelog"):
        assert f"Project-URL: {label}, https://" in metadata_text
    env_dir = tmp_path / "venv"
    python = fresh_venv(env_dir)
    install(python, wheel)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run(
        [str(python), "-I", "-c", PROBE], capture_output=True, text=True, cwd=outside, timeout=120
    )
    assert result.returncode == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    assert report["module"].startswith(str(env_dir))
    assert report["schemas"].startswith(str(env_dir))
    assert not report["schemas"].startswith(str(ROOT))
    assert sorted(p.name for p in (ROOT / "schemas").glob("*.json")) == report["files"]
    assert report["ok"] == 202
    assert report["bad"] == "40004"


def test_the_readme_fixtures_behave_alike_in_every_mode_from_the_wheel(
    tmp_path: Path, wheel: Path
) -> None:
    """Issue 11's acceptance: tests/modes/behaviours.py, run from a fresh venv holding the
    wheel, under -n 2: in process and per-session server (one run), then against an
    external server started from that venv with --developer-key and an admin token, bound
    to every interface."""
    python = fresh_venv(tmp_path / "venv")
    install(python, wheel)
    project = tmp_path / "user-project"
    project.mkdir()
    (project / "test_behaviours.py").write_text(
        (ROOT / "tests" / "modes" / "behaviours.py").read_text()
    )
    pytest_args = [
        str(python),
        "-I",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:benchmark",
    ]
    pytest_args += ["-n", "2", "-q", "test_behaviours.py"]
    local = subprocess.run(pytest_args, cwd=project, capture_output=True, text=True, timeout=300)
    assert local.returncode == 0, local.stdout[-3000:]
    assert "40 passed" in local.stdout

    key = tmp_path / "key.pem"
    subprocess.run(
        [str(python), "-I", "-m", "mockserver", "token", "--key", str(key), "--create"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    port_file, token = tmp_path / "port", "venv-admin-token-0123"
    server = subprocess.Popen(
        [
            *(str(python), "-I", "-m", "mockserver", "serve", "--host", "0.0.0.0"),
            *("--port", "0", "--port-file", str(port_file), "--developer-key", str(key)),
        ],
        env={**os.environ, "APPLE_MUSIC_MOCK_ADMIN_TOKEN": token},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert server.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.05)
        url = f"http://127.0.0.1:{int(port_file.read_text())}"
        external = subprocess.run(
            [*pytest_args, f"--apple-music-url={url}", f"--apple-music-admin-token={token}"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert external.returncode == 0, external.stdout[-3000:]
    assert "40 passed" in external.stdout


def fresh_venv(env_dir: Path) -> Path:
    """A venv without this project, whose dependencies come from this interpreter's
    site-packages (offline); listing them in a .pth adds the folders without running their
    own .pth files, so an editable install of the source tree there stays invisible."""
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def install(python: Path, target: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            str(target),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


#: What the tests read besides their own code (checked explicitly; the scan below finds the
#: rest: any top-level file or folder of the project a test or example names).
READ_BY_TESTS = [
    ".ci/run",
    ".github/workflows/contract-tests.yml",
    "CHANGELOG.md",
    "Dockerfile",
    "LICENSE",
    "README.md",
    "examples/ci/run-contract-tests.sh",
    "examples/ci/test_sample_client.py",
    "pyproject.toml",
]
#: Top-level names of a working copy that are not part of the project.
NOT_THE_PROJECT = {
    ".git",
    ".benchmarks",
    ".hypothesis",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".venv",
    "build",
    "dist",
}


def named_by_tests() -> set[str]:
    """Top-level files and folders of the project named by a string or an import in a test
    or example: what a test may read or import (``ROOT / ".ci" / "run"``, ``"README.md"``,
    a top-level module, ...)."""
    top: dict[str, str] = {}  # a name a test may use -> the file or folder
    for path in ROOT.iterdir():
        if (
            path.name in NOT_THE_PROJECT
            or path.name.startswith(".coverage")
            or path.name.endswith(".egg-info")
        ):
            continue
        top[path.name] = path.name
        if path.suffix == ".py":
            top[path.stem] = path.name  # a top-level module, named by its import name
    named: set[str] = set()
    for source in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "examples").rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value.split("/")[0]]
            elif isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module.split(".")[0]]
            else:
                continue
            named.update(top[name] for name in names if name in top)
    return named


def project_files(folder: str) -> set[str]:
    return {
        str(p.relative_to(ROOT))
        for p in (ROOT / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


#: A small subset of the suite, one test per kind of file the sdist must carry: .ci/run,
#: schemas/, the examples and the CI recipe (run against the installed package).
SDIST_SUBSET = [
    "tests/test_readme.py::test_readme_starts_with_exactly_two_commands",
    "tests/test_schemas.py",
    "tests/test_ci_recipe.py::test_dockerfile_command_parses_with_the_cli",
    "tests/test_ci_recipe.py::test_workflow_runs_the_script_and_keeps_the_journal_on_failure",
    "tests/test_ci_recipe.py::test_recipe_runs_the_sample_suite_and_stops_the_fake",
]


def test_sdist_holds_what_its_tests_read_and_they_pass(tmp_path: Path) -> None:
    hatchling = pytest.importorskip("hatchling")
    del hatchling
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (sdist,) = dist.glob("apple_music_mock-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
        prefix = members[0].split("/")[0]
        if hasattr(tarfile, "data_filter"):  # 3.10.12+, 3.11.4+, 3.12
            archive.extractall(tmp_path / "unpacked", filter="data")
        else:
            archive.extractall(tmp_path / "unpacked")  # our own sdist
    shipped = {name.removeprefix(prefix + "/") for name in members}
    shipped_top = {name.split("/")[0] for name in shipped}
    source = tmp_path / "unpacked" / prefix

    required = {*READ_BY_TESTS}
    for folder in ("tests", "examples", "schemas", "mockserver", "pytest_plugin", ".ci"):
        required |= project_files(folder)
    missing = sorted(required - shipped)
    assert not missing, f"the sdist lacks files its tests read: {missing}"
    unshipped = sorted(named_by_tests() - shipped_top)
    assert not unshipped, f"tests name these, the sdist lacks them: {unshipped}"

    python = fresh_venv(tmp_path / "venv")
    install(python, source)
    # PYTHONSAFEPATH: the tests import the installed package, not the unpacked sources.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        "PYTHONSAFEPATH": "1",
    }
    started = time.monotonic()
    result = subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", *SDIST_SUBSET],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
    assert time.monotonic() - started < 60, "the sdist subset should stay quick"
