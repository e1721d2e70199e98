"""Clocks: the system clock, and one tests can freeze, set and advance."""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["LATEST", "Clock", "ManualClock", "MockClock", "SystemClock"]


#: The latest time the clock can show (9999-12-31T23:59:59Z): later times overflow dates.
LATEST = 253_402_300_799


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now()`` returning seconds since the epoch."""

    def now(self) -> float: ...


class SystemClock:
    """The real time."""

    def now(self) -> float:
        return time.time()


class MockClock:
    """Real time by default; can be frozen, set and advanced (the admin API's clock).

    >>> clock = MockClock()
    >>> clock.set(1_700_000_000)
    >>> clock.advance(30)
    >>> clock.now()
    1700000030.0
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        frozen = self._frozen_at
        return frozen if frozen is not None else time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def set(self, when: float, *, frozen: bool = True) -> None:
        """Make it ``when`` now; frozen there, or running on from there."""
        if not (isinstance(when, (int, float)) and math.isfinite(when) and 0 <= when <= LATEST):
            raise ValueError(
                f"when={when!r} must be a number of seconds from 0 to {LATEST} (year 9999)"
            )
        with self._lock:
            if frozen:
                self._frozen_at = float(when)
            else:
                self._frozen_at = None
                self._offset = float(when) - time.time()

    def advance(self, seconds: float) -> None:
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds={seconds!r} must be a finite number >= 0")
        if self.now() + seconds > LATEST:
            raise ValueError(
                f"advancing by {seconds!r} s would pass {LATEST} (year 9999), the latest time"
            )
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def real(self) -> None:
        """Back to the system time."""
        with self._lock:
            self._frozen_at = None
            self._offset = 0.0

    def to_json(self) -> dict[str, float | bool]:
        return {"now": self.now(), "frozen": self.frozen}


class ManualClock(MockClock):
    """A clock frozen at ``start`` (default: now) that moves only when told to."""

    def __init__(self, start: float | None = None) -> None:
        super().__init__()
        self.set(time.time() if start is None else start)
