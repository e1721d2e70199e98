"""The plugin's entry point (apple_music_mock_pytest.py): a namesake of ``mockserver`` or
``pytest_plugin`` stops the run with one clear message instead of a deep import error."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("namesake", ["pytest_plugin", "mockserver"])
def test_a_namesake_module_is_one_clear_usage_error(
    pytester: pytest.Pytester, namesake: str
) -> None:
    pytester.makepyfile(**{namesake: "VALUE = 1\n"})  # a project's own module of that name
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")  # cwd is on sys.path
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: apple-music-mock cannot load its pytest plugin: '{namesake}' resolves to *{namesake}.py (not apple-music-mock's package)*Compatibility*"
        ]
    )
    result.stderr.no_fnmatch_line("*Traceback*")


def test_the_kit_loads_normally(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x="def test_x(apple_music):\n    assert apple_music.user_token\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
