"""The in-process control surface, and the one owner of a fake's live state."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .catalog import merge
from .clock import Clock, MockClock
from .config import SERVER_WIDE, Settings
from .control import CatalogDocument, LibrarySnapshot
from .errors import ConfigError
from .journal import Journal, JournalEntry, JournalFilters
from .library import LibraryFull, LibraryItem, LibraryStore
from .pipeline import Pipeline
from .ratelimit import RateLimit, RateLimiter
from .reads import playlist_tracks
from .rulebook import RuleBook
from .rules import Rule
from .schemas import load_schemas
from .validation import checked_catalog

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:  # pragma: no cover
        from typing_extensions import Unpack

__all__ = ["MockController"]


class MockController:
    """Everything a test may change or read, in process: a :class:`~mockserver.MockControl`.
    ``app.mock`` is one.

    It owns the live state — library, journal, rules, rate limiter, clock — and the request
    path (:attr:`pipeline`) built from the settings over that state. A configuration change
    builds and validates the new pipeline (and rules) first, then swaps it in one
    assignment: an invalid change raises ConfigError and changes nothing.

    >>> from mockserver import create_app
    >>> mock = create_app().mock
    >>> mock.add_rule(action={"status": 503}, times=1).id
    'rule-1'
    """

    def __init__(self, settings: Settings, *, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or MockClock()
        self.library = LibraryStore()
        self.journal = Journal(settings.journal_size, max_bytes=settings.journal_max_bytes)
        self.rules = RuleBook()
        self._schemas = load_schemas()
        self._lock = threading.RLock()
        #: Namespace (Music-User-Token) -> its setting changes and its pipeline; the dict of
        #: pipelines is shared with every pipeline, which serves a namespaced request with
        #: the namespace's own.
        self._overrides: dict[str, dict[str, Any]] = {}
        self._namespaces: dict[str, Pipeline] = {}
        self._delays: set[Any] = set()
        self.pipeline = self._build(settings, limiter=None)
        self.rules.install(RuleBook.build(settings.rules, limit=settings.max_rules))

    def _build(self, settings: Settings, *, limiter: RateLimiter | None) -> Pipeline:
        """The pipeline of ``settings`` over this controller's state (raises ConfigError)."""
        limit = RateLimit.from_json(settings.rate_limit)
        if limit is None:
            limiter = None
        elif limiter is None or limiter.limit != limit or limiter.max_teams != settings.max_users:
            limiter = RateLimiter(limit, max_teams=settings.max_users)
        return Pipeline(
            settings,
            schemas=self._schemas,
            clock=self.clock,
            journal=self.journal,
            library=self.library,
            rules=self.rules,
            limiter=limiter,
            namespaces=self._namespaces,
            delays=self._delays,
        )

    # --- configuration ---------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.pipeline.settings

    def settings_for(self, namespace: str | None = None) -> Settings:
        """The settings a request with this Music-User-Token is served with."""
        if namespace is not None:
            pipeline = self._namespaces.get(namespace)
            if pipeline is not None:
                return pipeline.settings
        return self.settings

    def configure(
        self,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        **changes: Any,
    ) -> Settings:
        """Replace the settings (``settings``) or change some (``changes``).

        Live rules are kept unless ``rules`` is given; the library and journal are kept.
        With ``namespace`` (a Music-User-Token), the change applies to that user's requests
        only — what a test on a shared server does — and cannot touch :data:`SERVER_WIDE`
        settings; :meth:`reset` of the namespace (or of everything) undoes it.
        """
        if namespace is not None:
            return self._configure_namespace(namespace, settings, changes)
        if isinstance(settings, Mapping):
            new = Settings.from_mapping(settings, source="settings")
            replace_rules = "rules" in settings
        else:
            base = settings or self.settings
            new = base.replace(**changes) if changes else base
            replace_rules = settings is not None or "rules" in changes
        with self._lock:
            pipeline = self._build(new, limiter=self.pipeline.limiter)
            namespaced = {
                name: self._build(new.replace(**overrides), limiter=None)
                for name, overrides in self._overrides.items()
            }
            rules = RuleBook.build(new.rules, limit=new.max_rules) if replace_rules else None
            # Everything below is already valid and cannot fail.
            self.journal.resize(new.journal_size, new.journal_max_bytes)
            if rules is not None:
                self.rules.install(rules)
            self._namespaces.update(namespaced)
            self.pipeline = pipeline
        return new

    def _configure_namespace(
        self,
        namespace: str,
        settings: Settings | Mapping[str, Any] | None,
        changes: Mapping[str, Any],
    ) -> Settings:
        if not isinstance(namespace, str) or not namespace:
            raise ConfigError("a namespace is a non-empty Music-User-Token")
        with self._lock:
            base = self.settings
            if isinstance(settings, Mapping):
                full = {**settings, "admin_token": base.admin_token}
                new = Settings.from_mapping(full, source="settings")
            elif settings is not None:
                new = settings.replace(admin_token=base.admin_token)
            else:
                new = self.settings_for(namespace).replace(**changes)
            overrides = new.changes_from(base)
            server_wide = sorted(SERVER_WIDE.intersection(overrides))
            if server_wide:
                raise ConfigError(
                    f"setting {server_wide[0]!r} is server-wide: it cannot differ for one "
                    "namespace (configure it without a namespace)"
                )
            if not overrides:
                self._overrides.pop(namespace, None)
                self._namespaces.pop(namespace, None)
                return new
            if namespace not in self._overrides and len(self._overrides) >= base.max_users:
                raise ConfigError(
                    f"{base.max_users} namespaces already have their own settings "
                    "(the limit is the setting 'max_users')"
                )
            pipeline = self._build(new, limiter=None)
            self._overrides[namespace] = overrides
            self._namespaces[namespace] = pipeline
        return new

    def trust_developer_key(self, key: str | Mapping[str, Any]) -> bool:
        """Trust one more developer-token signing key (PEM or JWK of an EC P-256 public
        key) from now on; False when it was trusted already. The pytest plugin registers its
        session key this way with a server started elsewhere."""
        with self._lock:
            keys = self.settings.developer_keys
            if key in keys:
                return False
            self.configure(developer_keys=[*keys, key])
        return True

    def end_delays(self) -> int:
        """Cut every scripted delay in progress short (their requests are answered at once):
        what the server does when it stops, so a graceful shutdown never waits on them.
        Call it on the event loop that serves the requests; returns how many were cut."""
        scopes = list(self._delays)
        for scope in scopes:
            scope.cancel()
        return len(scopes)

    # --- rules -----------------------------------------------------------------------------

    def add_rule(self, rule: Rule | Mapping[str, Any] | None = None, **fields: Any) -> Rule:
        """Add a rule: a :class:`Rule`, its JSON form, or that form's fields as keywords.

        ``mock.add_rule(sequence=[{"status": 500}, {"status": 500}])`` answers the next two
        requests with 500, then lets normal behaviour resume.
        """
        if rule is not None and fields:
            raise TypeError("give a rule or its fields, not both")
        return self.rules.add(rule if rule is not None else fields, limit=self.settings.max_rules)

    def list_rules(self) -> list[dict[str, Any]]:
        """Every live rule in the order tried, with ``matched``/``applied`` counters."""
        return self.rules.rules()

    def delete_rule(self, rule_id: str) -> bool:
        return self.rules.remove(rule_id)

    # --- state -----------------------------------------------------------------------------

    def reset(self, namespace: str | None = None, *, keep_journal: bool = False) -> None:
        """Everything back to the configured start, or only one Music-User-Token's rules,
        library, settings and journal entries (so parallel workers sharing a server keep
        theirs). ``keep_journal`` keeps the journal entries (a CI run reads a failed test's
        requests after the suite)."""
        if namespace is not None:
            with self._lock:
                self._overrides.pop(namespace, None)
                self._namespaces.pop(namespace, None)
            self.rules.remove_namespace(namespace)
            self.library.reset(namespace)
            if not keep_journal:
                self.journal.clear(namespace)
            return
        with self._lock:
            self._overrides.clear()
            self._namespaces.clear()
        self.rules.install(RuleBook.build(self.settings.rules, limit=self.settings.max_rules))
        self.library.reset()
        if not keep_journal:
            self.journal.clear()
        limiter = self.pipeline.limiter
        if limiter is not None:
            limiter.reset()
        if isinstance(self.clock, MockClock):
            self.clock.real()

    def journal_entries(self, **filters: Unpack[JournalFilters]) -> list[JournalEntry]:
        """Recorded requests, oldest first; filters: method, path, status, code, rule,
        user_token, since (seq), limit (the last N)."""
        return self.journal.entries(**filters)

    def journal_count(self, **filters: Unpack[JournalFilters]) -> int:
        return self.journal.count(**filters)

    def clear_journal(self, user_token: str | None = None) -> None:
        self.journal.clear(user_token)

    def journal_stats(self) -> dict[str, int]:
        return self.journal.stats()

    def get_library(self, user_token: str) -> LibrarySnapshot:
        """The user's library; a playlist added from the catalog shows, as a created one
        does, its ``name`` and ``tracks`` (library ids, in order: the catalog playlist's
        tracks the user's storefront has, as the library reads give them)."""
        snapshot = self.library.snapshot(user_token)
        pipeline = self._namespaces.get(user_token, self.pipeline)
        for entry in snapshot["playlists"]:
            catalog_id = entry["catalog_id"]
            if catalog_id is None or "tracks" in entry:
                continue
            item = LibraryItem(
                "playlists",
                catalog_id,
                entry["library_id"],
                entry["added_at"],
                entry["visible_at"],
            )
            tracks = playlist_tracks(pipeline, user_token, item, entry["visible_at"])
            name = pipeline.policy.catalog.name_of("playlists", catalog_id) or item.name
            entry.update(name=name, tracks=[track.library_id for track in tracks])
        return snapshot

    def put_library(self, user_token: str, contents: Mapping[str, list[str]]) -> LibrarySnapshot:
        settings = self.settings
        try:
            self.library.put(
                user_token,
                contents,
                self.clock.now(),
                max_users=settings.max_users,
                max_items=settings.max_library_items,
            )
        except (ValueError, LibraryFull) as error:
            raise ConfigError(str(error)) from None
        return self.get_library(user_token)

    # --- clock -----------------------------------------------------------------------------

    def get_catalog(self, namespace: str | None = None) -> CatalogDocument | None:
        document = self.settings_for(namespace).catalog
        return None if document is None else json.loads(json.dumps(document))  # plain copies

    def put_catalog(
        self, document: Mapping[str, Any] | None, *, namespace: str | None = None
    ) -> CatalogDocument | None:
        self.configure(namespace=namespace, catalog=document)
        return self.get_catalog(namespace)

    def patch_catalog(
        self, document: Mapping[str, Any], *, namespace: str | None = None
    ) -> CatalogDocument | None:
        patch = checked_catalog(document)  # its errors name places in the patch
        with self._lock:  # read, merge and swap in one step: concurrent patches all land
            merged = merge(self.settings_for(namespace).catalog, patch)
            self.configure(namespace=namespace, catalog=merged)
        return self.get_catalog(namespace)

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
        try:
            self._mock_clock().set(now, frozen=frozen)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        return self.get_time()

    def advance_time(self, seconds: float) -> dict[str, Any]:
        try:
            self._mock_clock().advance(seconds)
        except ValueError as error:
            raise ConfigError(str(error)) from None
        return self.get_time()

    def real_time(self) -> dict[str, Any]:
        self._mock_clock().real()
        return self.get_time()
