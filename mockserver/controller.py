"""The Python control API: configure, script, inspect and reset a running fake."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from .clock import Clock, MockClock
from .config import Settings
from .errors import ConfigError
from .journal import Journal, JournalEntry
from .library import CatalogPolicy, LibraryStore
from .rules import RateLimit, RateLimiter, Rule, RuleBook

__all__ = ["MockController"]


class MockController:
    """Everything a test may change or read, in process. ``app.state.mock`` is one.

    The admin API (``/_mock/``) and :class:`mockserver.AdminClient` expose the same
    operations over HTTP, with the same results.

    >>> from mockserver import create_app
    >>> mock = create_app().state.mock
    >>> mock.add_rule(action={"status": 503}, times=1).id
    'rule-1'
    """

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or MockClock()
        self._lock = threading.Lock()
        self.rules = RuleBook(settings.seed)
        self.library = LibraryStore(
            CatalogPolicy.from_settings(settings),
            visibility_delay=settings.visibility_delay_seconds,
        )
        self.journal = Journal(settings.journal_size)
        self.rate_limiter: RateLimiter | None = None
        self._settings = settings
        self._listeners: list[Callable[[Settings], Callable[[], None]]] = []
        self._apply(settings, install_rules=True)

    # --- configuration ---------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    def on_configure(self, listener: Callable[[Settings], Callable[[], None]]) -> None:
        """Register ``listener``: called with new settings, it prepares (and may refuse with
        ConfigError) and returns the function that commits them. Nothing changes unless every
        listener prepared."""
        self._listeners.append(listener)

    def configure(
        self, settings: Settings | Mapping[str, Any] | None = None, **changes: Any
    ) -> Settings:
        """Replace the settings (``settings``) or change some (``changes``).

        Live rules are kept unless ``rules`` is given; the library and journal are kept.
        """
        if isinstance(settings, Mapping):
            new = Settings.from_mapping(settings, source="settings")
            replace_rules = "rules" in settings
        else:
            new = (
                (settings or self._settings).replace(**changes)
                if changes
                else settings or self._settings
            )
            replace_rules = settings is not None or "rules" in changes
        self._apply(new, install_rules=replace_rules)
        return new

    def _apply(self, settings: Settings, *, install_rules: bool) -> None:
        with self._lock:
            commits = [listener(settings) for listener in self._listeners]
            if install_rules:
                self.rules.replace_all(settings.rules)
            for commit in commits:
                commit()
            self.rules.seed = settings.seed
            self.library.policy = CatalogPolicy.from_settings(settings)
            self.library.visibility_delay = settings.visibility_delay_seconds
            if settings.journal_size != self.journal.size:
                self.journal.resize(settings.journal_size)
            limit = RateLimit.from_json(settings.rate_limit)
            if limit is None:
                self.rate_limiter = None
            elif self.rate_limiter is None or self.rate_limiter.limit != limit:
                self.rate_limiter = RateLimiter(limit)
            self._settings = settings

    # --- rules -----------------------------------------------------------------------------

    def add_rule(self, rule: Rule | Mapping[str, Any] | None = None, **fields: Any) -> Rule:
        """Add a rule: a :class:`Rule`, its JSON form, or that form's fields as keywords.

        ``mock.add_rule(sequence=[{"status": 500}, {"status": 500}])`` answers the next two
        requests with 500, then lets normal behaviour resume.
        """
        if rule is not None and fields:
            raise TypeError("give a rule or its fields, not both")
        return self.rules.add(rule if rule is not None else fields)

    def list_rules(self) -> list[dict[str, Any]]:
        """Every live rule in the order tried, with ``matched``/``applied`` counters."""
        return self.rules.rules()

    def delete_rule(self, rule_id: str) -> bool:
        return self.rules.remove(rule_id)

    # --- state -----------------------------------------------------------------------------

    def reset(self, namespace: str | None = None) -> None:
        """Everything back to the configured start, or only one Music-User-Token's rules,
        library and journal entries (so parallel workers sharing a server keep theirs)."""
        if namespace is not None:
            self.rules.remove_namespace(namespace)
            self.library.reset(namespace)
            self.journal.clear(namespace)
            return
        self.rules.replace_all(self._settings.rules)
        self.library.reset()
        self.journal.clear()
        if self.rate_limiter is not None:
            self.rate_limiter.reset()
        if isinstance(self.clock, MockClock):
            self.clock.real()

    def journal_entries(self, **filters: Any) -> list[JournalEntry]:
        """Recorded requests, oldest first; filters: method, path, status, code, rule,
        user_token, since (seq), limit (the last N)."""
        return self.journal.entries(**filters)

    def journal_count(self, **filters: Any) -> int:
        return self.journal.count(**filters)

    def clear_journal(self, user_token: str | None = None) -> None:
        self.journal.clear(user_token)

    def journal_stats(self) -> dict[str, int]:
        return self.journal.stats()

    def get_library(self, user_token: str) -> dict[str, list[dict[str, Any]]]:
        return self.library.snapshot(user_token)

    def put_library(
        self, user_token: str, contents: Mapping[str, list[str]]
    ) -> dict[str, list[dict[str, Any]]]:
        try:
            self.library.put(user_token, contents, self.clock.now())
        except ValueError as error:
            raise ConfigError(str(error)) from None
        return self.library.snapshot(user_token)

    # --- clock -----------------------------------------------------------------------------

    def _mock_clock(self) -> MockClock:
        if not isinstance(self.clock, MockClock):
            raise ConfigError(f"the clock {self.clock!r} cannot be controlled; pass a MockClock")
        return self.clock

    def get_time(self) -> dict[str, Any]:
        clock = self.clock
        return (
            clock.to_json()
            if isinstance(clock, MockClock)
            else {"now": clock.now(), "frozen": False}
        )

    def set_time(self, now: float, *, frozen: bool = True) -> dict[str, Any]:
        self._mock_clock().set(now, frozen=frozen)
        return self.get_time()

    def advance_time(self, seconds: float) -> dict[str, Any]:
        self._mock_clock().advance(seconds)
        return self.get_time()

    def real_time(self) -> dict[str, Any]:
        self._mock_clock().real()
        return self.get_time()
