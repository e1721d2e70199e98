"""The wheel ships the schemas and serves from an installed copy, not the source tree."""

from __future__ import annotations

import site
import subprocess
import sys
import venv
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


def test_wheel_installed_in_a_fresh_venv_serves_with_its_own_schemas(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
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
    (wheel,) = wheels.glob("apple_music_mock-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # The dependencies come from this interpreter's site-packages (offline); listing them in
    # a .pth adds the folders without running their own .pth files, so an editable install
    # of the source tree there stays invisible to the fresh venv.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
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
