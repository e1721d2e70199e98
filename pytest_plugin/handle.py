"""The per-test handle: the fake's controls scoped to one test, and assertions with clear
diffs."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mockserver import CatalogEditor, JournalEntry, JournalFilters, MockControl, Rule, Settings
from mockserver.control import CatalogDocument, LibrarySnapshot
from mockserver.ids import LIBRARY_KINDS, library_id

from .report import REPORT_HEAD, AppleMusicAssertionError, explain, is_violation

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:  # pragma: no cover
        from typing_extensions import Unpack

__all__ = ["AppleMusicMock"]


class AppleMusicMock:
    """What a test holds: a :class:`~mockserver.MockControl` scoped to this test.

    Works over an in-process :class:`~mockserver.MockController` or, for a server started
    elsewhere, an :class:`~mockserver.AdminClient`. ``scoped=True`` (shared servers) keeps
    the test to its own namespace: its Music-User-Token's rules, library and journal.
    Journal reads only see this test's requests; :meth:`reset` undoes the test.

    >>> from mockserver import create_app
    >>> mock = AppleMusicMock(create_app().mock, user_token="u1", developer_token="t")
    >>> mock.add_rule(action={"status": 503}, times=1).times
    1
    """

    def __init__(
        self,
        control: MockControl,
        *,
        user_token: str,
        developer_token: str,
        scoped: bool = False,
    ) -> None:
        self.control = control
        self.user_token = user_token
        self.developer_token = developer_token
        self.scoped = scoped
        self.expects_violations = False
        self._base_settings: Settings | None = None
        self._since = self._last_seq()

    # --- configuration ---------------------------------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        """Headers with this test's valid developer token and Music-User-Token."""
        return {
            "Authorization": f"Bearer {self.developer_token}",
            "Music-User-Token": self.user_token,
        }

    @property
    def settings(self) -> Settings:
        """The settings this test's requests are served with."""
        return self.settings_for(self.user_token if self.scoped else None)

    def settings_for(self, namespace: str | None = None) -> Settings:
        return self.control.settings_for(namespace)

    def configure(
        self,
        settings: Settings | Mapping[str, Any] | None = None,
        *,
        namespace: str | None = None,
        **changes: Any,
    ) -> Settings:
        """Change settings for this test; they are restored when the test ends.

        On a shared server (``scoped``) the change applies to this test's namespace — the
        requests carrying its Music-User-Token — so parallel workers never see it.
        """
        return self.control.configure(settings, namespace=self._changing(namespace), **changes)

    def trust_developer_key(self, key: str | Mapping[str, Any]) -> bool:
        return self.control.trust_developer_key(key)

    def add_rule(self, rule: Rule | Mapping[str, Any] | None = None, **fields: Any) -> Rule:
        """Add a scripted rule (see :meth:`MockController.add_rule`); scoped to this test's
        user token on a shared server."""
        if rule is not None and fields:
            raise TypeError("give a rule or its fields, not both")
        data: dict[str, Any] = rule.to_json() if isinstance(rule, Rule) else dict(rule or fields)
        if self.scoped:
            match = dict(data.get("match", {}))
            match.setdefault("user_token", self.user_token)
            data["match"] = match
            if isinstance(rule, Rule):
                data.pop("id", None)
        return self.control.add_rule(data)

    def list_rules(self) -> list[dict[str, Any]]:
        """The rules in force for this test (on a shared server: its own)."""
        rules = self.control.list_rules()
        if not self.scoped:
            return rules
        return [r for r in rules if r["match"].get("user_token") == self.user_token]

    def delete_rule(self, rule_id: str) -> bool:
        return self.control.delete_rule(rule_id)

    def fail_next(self, status: int, *, times: int = 1) -> Rule:
        """Answer the next ``times`` adds with ``status`` and its Apple-shaped body."""
        return self.add_rule(action={"status": status}, times=times)

    def expect_contract_violations(self) -> None:
        """This test sends requests the real API refuses on purpose (for strict mode)."""
        self.expects_violations = True

    # --- inspection ------------------------------------------------------------------------

    def _last_seq(self) -> int:
        entries = self.control.journal_entries(limit=1)
        return entries[-1].seq if entries else 0

    def _scope(self, filters: JournalFilters) -> JournalFilters:
        if self.scoped:
            filters.setdefault("user_token", self.user_token)
        filters["since"] = max(filters.get("since", 0), self._since)
        return filters

    def journal_entries(self, **filters: Unpack[JournalFilters]) -> list[JournalEntry]:
        """What the fake received during this test (oldest first), filtered like the journal."""
        return self.control.journal_entries(**self._scope(filters))

    requests = journal_entries

    def journal_count(self, **filters: Unpack[JournalFilters]) -> int:
        return self.control.journal_count(**self._scope(filters))

    def clear_journal(self, user_token: str | None = None) -> None:
        """Forget this test's requests so far (on a shared server: only its own)."""
        if self.scoped:
            self.control.clear_journal(user_token or self.user_token)
        elif user_token is not None:
            self.control.clear_journal(user_token)
        else:
            self._since = self._last_seq()

    def journal_stats(self) -> dict[str, int]:
        return self.control.journal_stats()

    def get_library(self, user_token: str | None = None) -> LibrarySnapshot:
        """A user's library (this test's user by default)."""
        return self.control.get_library(user_token or self.user_token)

    def put_library(
        self, user_token: str | None, contents: Mapping[str, list[str]]
    ) -> LibrarySnapshot:
        """Replace a user's library (this test's user when ``user_token`` is None)."""
        return self.control.put_library(user_token or self.user_token, contents)

    @property
    def catalog(self) -> CatalogEditor:
        """Add items to the catalog for this test: ``apple_music.catalog.add_song(...)`` (the
        change is undone when the test ends, like :meth:`configure`)."""
        return CatalogEditor(self)

    def get_catalog(self, namespace: str | None = None) -> CatalogDocument | None:
        """The catalog this test's requests are served with (None: the open catalog)."""
        return self.control.get_catalog(namespace or (self.user_token if self.scoped else None))

    def put_catalog(
        self, document: Mapping[str, Any] | None, *, namespace: str | None = None
    ) -> CatalogDocument | None:
        """Replace the catalog for this test (undone when it ends, like :meth:`configure`)."""
        return self.control.put_catalog(document, namespace=self._changing(namespace))

    def patch_catalog(
        self, document: Mapping[str, Any], *, namespace: str | None = None
    ) -> CatalogDocument | None:
        """Add resources to this test's catalog, replacing those of the same type and id
        (only what the patch brings is sent and checked)."""
        return self.control.patch_catalog(document, namespace=self._changing(namespace))

    def _changing(self, namespace: str | None) -> str | None:
        """The namespace a change applies to: this test's on a shared server; a server-wide
        change is recorded, to be undone when the test ends."""
        if self.scoped:
            return namespace or self.user_token
        if namespace is None and self._base_settings is None:
            self._base_settings = self.control.settings
        return namespace

    def library(self, type_: str = "songs", *, user_token: str | None = None) -> list[str]:
        """Catalog ids in the user's library (this test's user by default), in order added."""
        return [item["catalog_id"] for item in self.get_library(user_token)[type_]]

    def contract_violations(self) -> list[JournalEntry]:
        """Requests the fake refused without a rule telling it to: what the real API refuses."""
        return [e for e in self.journal_entries() if is_violation(e)]

    def report(self) -> str:
        """Everything received and answered during this test, near-miss style."""
        entries = self.journal_entries()
        if not entries:
            return f"{REPORT_HEAD} no requests during this test."
        lines = [f"{REPORT_HEAD} {len(entries)} request(s):"]
        lines += [explain(entry) for entry in entries]
        return "\n".join(lines)

    # --- clock -----------------------------------------------------------------------------

    def get_time(self) -> dict[str, Any]:
        return self.control.get_time()

    def set_time(self, now: float, *, frozen: bool = True) -> dict[str, Any]:
        return self.control.set_time(now, frozen=frozen)

    def advance_time(self, seconds: float) -> dict[str, Any]:
        return self.control.advance_time(seconds)

    def real_time(self) -> dict[str, Any]:
        return self.control.real_time()

    # --- assertions ------------------------------------------------------------------------

    def assert_added(
        self, *, user_token: str | None = None, exactly: bool = False, **expected: Sequence[str]
    ) -> None:
        """Assert the ids (per type: ``songs=[...]``, ``albums=[...]``, ``music_videos=[...]``)
        are in the library; with ``exactly=True`` that nothing else of those types is."""
        __tracebackhide__ = True
        problems = []
        for key, ids in expected.items():
            type_ = key.replace("_", "-")
            actual = self.library(type_, user_token=user_token)
            missing = [i for i in ids if i not in actual]
            extra = [i for i in actual if i not in ids] if exactly else []
            if missing or extra:
                problems.append(
                    f"{type_}: expected {list(ids)}, library has {actual}"
                    + (f"; missing {missing}" if missing else "")
                    + (f"; unexpected {extra}" if extra else "")
                )
        if problems:
            raise AppleMusicAssertionError(
                "\n".join(
                    ["library does not hold what was expected:", *problems, "", self.report()]
                )
            )

    def assert_playlist(
        self, name: str, tracks: Sequence[str] | None = None, *, user_token: str | None = None
    ) -> dict[str, Any]:
        """Assert the user (this test's by default) has a library playlist called ``name``,
        created or added from the catalog (named as the catalog names it), and, when
        ``tracks`` is given, that it holds exactly those tracks in that order (each a catalog
        id or a library id). Returns the playlist as the admin library view shows it."""
        __tracebackhide__ = True
        library = self.get_library(user_token)
        named = [p for p in library["playlists"] if p.get("tracks") is not None]
        found = [p for p in named if p.get("name") == name]
        if not found:
            names = [p.get("name") for p in named]
            raise AppleMusicAssertionError(
                f"no library playlist named {name!r} (library playlists: {names})\n\n"
                f"{self.report()}"
            )
        user = user_token or self.user_token
        catalog = {
            item["library_id"]: item["catalog_id"]
            for type_ in ("songs", "music-videos")
            for item in library[type_]
        }
        # A catalog playlist's tracks are library copies its own reads answer for.
        catalog.update(
            (library_id(LIBRARY_KINDS[type_].prefix, user, type_, want), want)
            for want in tracks or ()
            for type_ in ("songs", "music-videos")
        )
        playlist = found[-1]
        if tracks is not None:
            actual = list(playlist["tracks"])
            if len(actual) != len(tracks) or any(
                want not in (got, catalog.get(got))
                for want, got in zip(tracks, actual, strict=False)
            ):
                shown = [catalog.get(got, got) for got in actual]
                raise AppleMusicAssertionError(
                    f"library playlist {name!r}: expected tracks {list(tracks)}, it holds "
                    f"{shown}\n\n{self.report()}"
                )
        return dict(playlist)

    def assert_requests(
        self, count: int | None = None, **filters: Unpack[JournalFilters]
    ) -> list[JournalEntry]:
        """Assert how many requests matching ``filters`` arrived (any number > 0 if ``count``
        is None); returns them."""
        __tracebackhide__ = True
        entries = self.journal_entries(**filters)
        if (count is None and not entries) or (count is not None and len(entries) != count):
            wanted = "at least one" if count is None else str(count)
            where = ", ".join(f"{k}={v!r}" for k, v in filters.items()) or "any"
            raise AppleMusicAssertionError(
                f"expected {wanted} request(s) matching {where}, got {len(entries)}\n\n{self.report()}"
            )
        return entries

    def assert_no_contract_violations(self) -> None:
        """Assert the client sent nothing the real API would refuse."""
        __tracebackhide__ = True
        violations = self.contract_violations()
        if violations:
            numbers = ", ".join(f"#{entry.seq}" for entry in violations)
            raise AppleMusicAssertionError(
                f"{len(violations)} request(s) broke the Apple Music API contract: {numbers} "
                f"below\n\n{self.report()}"
            )

    # --- lifecycle -------------------------------------------------------------------------

    def reset(self, namespace: str | None = None, *, keep_journal: bool = False) -> None:
        """Undo this test: its rules, library, journal and settings changes (or reset the
        namespace of another user token); ``keep_journal`` leaves its journal entries."""
        if namespace is not None and namespace != self.user_token:
            self.control.reset(namespace, keep_journal=keep_journal)
            return
        if self._base_settings is not None:
            self.control.configure(self._base_settings)
            self._base_settings = None
        self.control.reset(self.user_token if self.scoped else None, keep_journal=keep_journal)
        self._since = self._last_seq()
