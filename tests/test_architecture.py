"""How the code is built (README, "How it is built"): layers that only point down, modules of
a readable size, and one typed control surface that the three implementations keep to."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mockserver"

#: Every module of the fake, by layer; a module may import its own layer and those below.
LAYERS: dict[str, tuple[str, ...]] = {
    "base": (
        "errors",
        "config",
        "schemas",
        "clock",
        "ids",
        "wire",
        "chance",
        "redaction",
        "tokens",
        "tls",
        "contract",
        "marks",
        "validation",
    ),
    "state": (
        "catalog",
        "catalog_editor",
        "journal",
        "library",
        "policy",
        "rules",
        "rulebook",
        "ratelimit",
        "control",
    ),
    "request": (
        "auth",
        "cors",
        "query",
        "params",
        "faults",
        "routing",
        "reads",
        "catalog_pages",
        "catalog_reads",
        "playlists",
        "storefronts",
        "endpoints",
        "pipeline",
        "controller",
    ),
    "app": (
        "admin",
        "app",
        "client",
        "server",
        "verify",
        "har",
        "verify_command",
        "cli",
        "__main__",
        "__init__",
    ),
}
RANK = {module: rank for rank, modules in enumerate(LAYERS.values()) for module in modules}


def _imports(path: Path) -> set[str]:
    """The package's own modules that ``path`` imports (relative imports)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_every_module_has_a_layer() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert modules == set(RANK), "classify new modules in LAYERS (and the README)"


@pytest.mark.parametrize("module", sorted(RANK))
def test_imports_only_point_down(module: str) -> None:
    upward = {
        imported
        for imported in _imports(PACKAGE / f"{module}.py")
        if RANK.get(imported, 0) > RANK[module]
    }
    assert not upward, f"{module} ({RANK[module]}) imports a higher layer: {sorted(upward)}"


@pytest.mark.parametrize(
    "path",
    sorted([*PACKAGE.glob("*.py"), *(ROOT / "pytest_plugin").rglob("*.py")]),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_modules_stay_readable(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.name} has {lines} lines: split it by concept"


def test_the_three_control_surfaces_keep_to_one_protocol(tmp_path: Path) -> None:
    """mypy --strict over code using the public API: the in-process controller, the HTTP
    client and the pytest handle are each a MockControl."""
    sample = tmp_path / "uses_the_api.py"
    sample.write_text(
        textwrap.dedent(
            """
            from mockserver import AdminClient, JournalEntry, MockControl, create_app
            from pytest_plugin import AppleMusicMock, AppleMusicServer

            def entries(control: MockControl) -> list[JournalEntry]:
                control.add_rule(action={"status": 503}, times=1)
                control.configure(repeated_keys="reject")
                return control.journal_entries(status=503, limit=5)

            app = create_app()
            surfaces: list[MockControl] = [
                app.mock,
                AdminClient("http://127.0.0.1:8080"),
                AppleMusicMock(app.mock, user_token="u", developer_token="t"),
            ]
            server: AppleMusicServer = AppleMusicServer("http://127.0.0.1:1")
            port: int = server.port
            """
        )
    )
    bad = tmp_path / "misuses_the_api.py"
    bad.write_text(
        "from mockserver import create_app\ncreate_app().mock.journal_entries(stauts=503)\n"
    )
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    ok = subprocess.run([*command, str(sample)], capture_output=True, text=True, cwd=ROOT)
    assert ok.returncode == 0, ok.stdout
    wrong = subprocess.run([*command, str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert "stauts" in wrong.stdout
