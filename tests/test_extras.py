"""A missing optional dependency is one clear error naming the extra (pytest_plugin/extras.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_plugin.extras import EXTRA_INSTALL, MissingExtraError, missing_extra


@pytest.mark.parametrize(
    ("module", "blocked"),
    [
        ("pytest_plugin.respx_route", "respx"),
        ("pytest_plugin.respx_route", "httpx"),
        ("pytest_plugin.strategies", "hypothesis"),
    ],
)
def test_importing_without_the_extra_names_it(module: str, blocked: str) -> None:
    code = f"import sys; sys.modules[{blocked!r}] = None; import {module}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("pytest_plugin.extras.MissingExtraError: ")
    assert f"needs the {blocked!r} package" in last
    assert last.endswith(EXTRA_INSTALL)


def test_the_fixture_fails_with_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import sys\nsys.modules['respx'] = None\n")
    pytester.makepyfile("def test_x(apple_music_respx):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    install = EXTRA_INSTALL.replace("[", "?").replace("]", "?")  # fnmatch: [] is a set
    result.stdout.fnmatch_lines([f"*needs the 'respx' package, which is not installed: {install}"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_the_error_is_an_import_error() -> None:
    error = missing_extra(ModuleNotFoundError("x", name="httpx"), "feature")
    assert isinstance(error, ModuleNotFoundError)
    assert isinstance(error, MissingExtraError)
    assert error.name == "httpx"
