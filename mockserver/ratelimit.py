"""The rate limiter: a sliding window of requests per developer-token team."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RATE_LIMIT_RULE", "RateLimit", "RateLimiter"]

#: What the journal's ``rule`` says of a request the limiter refused.
RATE_LIMIT_RULE = "rate-limit"


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``requests`` per ``window_seconds``; ``retry_after`` adds that header."""

    requests: int
    window_seconds: float
    retry_after: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RateLimit | None:
        if data is None:
            return None
        return cls(int(data["requests"]), float(data["window_seconds"]), data.get("retry_after"))


class RateLimiter:
    """A sliding window per team: exact, on the time it is given."""

    def __init__(self, limit: RateLimit, *, max_teams: int = 10_000) -> None:
        self.limit = limit
        self.max_teams = max_teams
        """Teams whose windows are kept (the oldest is forgotten past it: bounded memory)."""
        self._windows: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, team: str, now: float) -> bool:
        with self._lock:
            window = self._windows.get(team)
            if window is None:
                if len(self._windows) >= self.max_teams:
                    del self._windows[next(iter(self._windows))]
                window = self._windows[team] = deque()
            horizon = now - self.limit.window_seconds
            while window and window[0] <= horizon:
                window.popleft()
            if len(window) >= self.limit.requests:
                return False
            window.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
