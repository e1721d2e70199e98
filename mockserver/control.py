"""The one control surface: what a test may change or read on a fake, whichever way it
reaches it — in process (:class:`~mockserver.MockController`), over HTTP
(:class:`~mockserver.AdminClient`) or through the pytest handle
(:class:`~pytest_plugin.AppleMusicMock`)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .config import Settings
from .journal import JournalEntry, JournalFilters
from .rules import Rule

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:  # pragma: no cover
        from typing_extensions import Unpack

__all__ = ["CatalogDocument", "LibrarySnapshot", "MockControl"]

LibrarySnapshot = dict[str, list[dict[str, Any]]]
"""A user's library per resource type: ``{"songs": [{"catalog_id", "library_id",
"added_at", "visible_at"}, ...], ...}``."""

CatalogDocument = dict[str, Any]
"""A catalog document (``schemas/catalog.schema.json``): resources per type."""


@runtime_checkable
class MockControl(Protocol):
    """Configure, script, inspect and reset a fake."""

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        ...

    def settings_for(self, namespace: str | None = None) -> Settings:
        """The settings requests with this Music-User-Token are served with."""
        ...

    def configure(
        self,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        **changes: Any,
    ) -> Settings:
        """Replace the settings (``settings``) or change some (``changes``); returns the new
        settings. Invalid settings raise ConfigError and change nothing. With ``namespace``
        (a Music-User-Token) only that user's requests see the change."""
        ...

    def trust_developer_key(self, key: str | Mapping[str, Any]) -> bool:
        """Trust one more developer-token signing key; False when it was trusted already."""
        ...

    def add_rule(self, rule: Rule | Mapping[str, Any] | None = None, **fields: Any) -> Rule:
        """Add a scripted rule: a :class:`Rule`, its JSON form, or that form's fields."""
        ...

    def list_rules(self) -> list[dict[str, Any]]:
        """Every live rule in the order tried, with ``matched``/``applied`` counters."""
        ...

    def delete_rule(self, rule_id: str) -> bool:
        """Remove a rule; False when there was none with that id."""
        ...

    def reset(self, namespace: str | None = None, *, keep_journal: bool = False) -> None:
        """Back to the configured start: everything, or one Music-User-Token's rules,
        library, settings and journal entries (``keep_journal``: all but its journal
        entries, which a CI run may still want to read)."""
        ...

    def journal_entries(self, **filters: Unpack[JournalFilters]) -> list[JournalEntry]:
        """Recorded requests, oldest first, filtered."""
        ...

    def journal_count(self, **filters: Unpack[JournalFilters]) -> int:
        """How many recorded requests match ``filters``."""
        ...

    def clear_journal(self, user_token: str | None = None) -> None:
        """Forget recorded requests: all, or one user's."""
        ...

    def journal_stats(self) -> dict[str, int]:
        """``size``, ``kept``, ``total`` and ``overflow`` of the journal's ring."""
        ...

    def get_library(self, user_token: str) -> LibrarySnapshot:
        """A user's library."""
        ...

    def put_library(self, user_token: str, contents: Mapping[str, list[str]]) -> LibrarySnapshot:
        """Replace a user's library with catalog ids per type (visible at once)."""
        ...

    def get_catalog(self, namespace: str | None = None) -> CatalogDocument | None:
        """The catalog document in force (None: the open catalog)."""
        ...

    def put_catalog(
        self, document: Mapping[str, Any] | None, *, namespace: str | None = None
    ) -> CatalogDocument | None:
        """Replace the catalog (None: back to the open catalog); ConfigError names what is
        invalid and changes nothing."""
        ...

    def patch_catalog(
        self, document: Mapping[str, Any], *, namespace: str | None = None
    ) -> CatalogDocument | None:
        """Add resources to the catalog, replacing those of the same type and id."""
        ...

    def get_time(self) -> dict[str, Any]:
        """The fake's clock: ``{"now": t, "frozen": bool}``."""
        ...

    def set_time(self, now: float, *, frozen: bool = True) -> dict[str, Any]:
        """Set the clock (frozen there, or running on from there)."""
        ...

    def advance_time(self, seconds: float) -> dict[str, Any]:
        """Move the clock forward."""
        ...

    def real_time(self) -> dict[str, Any]:
        """Back to the system time."""
        ...
