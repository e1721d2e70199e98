"""The public surface: sorted __all__, everything importable, no Hypothesis import."""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import pytest

import mockserver
import pytest_plugin


@pytest.mark.parametrize("module", [mockserver, pytest_plugin])
def test_all_is_sorted_and_importable(module: ModuleType) -> None:
    names: list[str] = module.__all__
    # isort-style order (as ruff's RUF022 keeps it): CONSTANTS, Classes, functions.
    assert names == sorted(names, key=lambda n: (not n.isupper(), not n[:1].isupper(), n))
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(module, name), name


def test_importing_mockserver_does_not_import_hypothesis_or_pytest() -> None:
    code = "import sys, mockserver; print(sorted(m for m in ('hypothesis', 'pytest') if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_version_is_read_on_first_use_and_other_names_are_missing() -> None:
    from importlib.metadata import version

    assert mockserver.__version__ == version("apple-music-mock")
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        mockserver.nothing  # type: ignore[attr-defined]  # noqa: B018


def test_an_in_process_fixture_does_not_import_the_server() -> None:
    """The first ``apple_music`` use builds an in-process fake: uvicorn (about 50 ms of a
    cold start) is imported only when a server starts, and ``LiveServer`` still imports."""
    code = (
        "import sys\n"
        "from pytest_plugin.session import AppleMusicSession\n"
        "session = AppleMusicSession()\n"
        "session.handle()\n"
        "print('uvicorn' in sys.modules)\n"
        "from mockserver import LiveServer\n"
        "print('uvicorn' in sys.modules, LiveServer.__module__)\n"
        "session.close()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split("\n")[:2] == ["False", "True mockserver.server"]
