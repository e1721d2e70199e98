"""``--apple-music-live``: the contract's safe cases as tests against the real API
(README, "Drift"). A test taking the ``apple_music_live_case`` fixture runs once per safe
case; without the option, or without credentials, it is skipped with the reason."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest

from mockserver import Settings
from mockserver.contract import Case, load_cases
from mockserver.verify import (
    DEFAULT_AGAINST,
    DEVELOPER_TOKEN_ENV,
    USER_TOKEN_ENV,
    CaseResult,
    check_against,
    guess_line,
)

__all__ = ["FIXTURE", "LiveCase", "live_case", "safe_cases", "skip_reason"]

FIXTURE = "apple_music_live_case"
_last_sent = [float("-inf")]


def safe_cases() -> list[Case]:
    return [case for case in load_cases() if case.safe]


def skip_reason(live: bool, environ: os._Environ[str] | dict[str, str]) -> str | None:
    """Why the live cases cannot run, or None."""
    if not live:
        return "pass --apple-music-live to send the contract's safe cases to the real API"
    missing = [name for name in (DEVELOPER_TOKEN_ENV, USER_TOKEN_ENV) if not environ.get(name)]
    if missing:
        return (
            f"--apple-music-live needs credentials: {' and '.join(missing)} not set "
            "(nothing was sent)"
        )
    return None


@dataclass
class LiveCase:
    """One safe case, sent to the real API when ``check()`` is called."""

    case: Case
    url: str
    settings: Settings
    pace: float = 0.5

    def check(self) -> CaseResult:
        developer, user = os.environ[DEVELOPER_TOKEN_ENV], os.environ[USER_TOKEN_ENV]
        wait = _last_sent[0] + self.pace - time.monotonic()  # paced across tests too
        if wait > 0:
            time.sleep(wait)
        _last_sent[0] = time.monotonic()
        [result] = check_against(
            self.url, self.settings, developer, user, pace=self.pace, cases=[self.case]
        )
        return result

    def assert_agrees(self) -> None:
        """Fails with what drifted (never a token); skips when the case is unverifiable."""
        result = self.check()
        if result.verdict == "unverifiable":
            pytest.skip(f"{self.case.id}: unverifiable: {result.reason}")
        if result.verdict == "drift":
            assert result.real is not None
            message = (
                f"{self.case.id} drifted: fake {result.fake.brief()}, real "
                f"{result.real.brief()} ({'; '.join(result.differences)})"
            )
            if result.guess:
                message += f"; {guess_line(result.guess)}"
            pytest.fail(message, pytrace=False)


def live_case(config: pytest.Config, case: Case) -> LiveCase:
    reason = skip_reason(bool(config.getoption("apple_music_live")), os.environ)
    if reason:
        pytest.skip(reason)
    url = config.getoption("apple_music_live_url") or DEFAULT_AGAINST
    return LiveCase(case, url, Settings())
