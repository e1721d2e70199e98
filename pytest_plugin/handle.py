"""The per-test handle: configure the fake, read what it saw, and assert with clear diffs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockserver import AdminClient, JournalEntry, MockController, Rule, Settings

__all__ = ["AppleMusicAssertionError", "AppleMusicMock", "explain"]

#: Statuses the fake sends for requests the real API would refuse (when no rule made it).
VIOLATION_STATUSES = frozenset({400, 401, 403, 404, 405, 414})

_TYPES = "albums, music-videos, playlists, songs"


class AppleMusicAssertionError(AssertionError):
    """An expectation about what the fake received did not hold."""


def _expected(entry: JournalEntry) -> str:
    code, parameter = entry.code, entry.parameter or ""
    if entry.status == 401:
        return (
            "Authorization: Bearer <ES256 developer token: kid and iss of 10 characters, "
            "iat not in the future, exp within 15,777,000 s, raw R||S signature by a trusted key>"
        )
    if code == "40300":
        return "a non-empty Music-User-Token the fake accepts"
    if code == "40015":
        return "a user with a subscription (this one is in unsubscribed_user_tokens)"
    if code == "40004" and parameter.startswith("ids"):
        return f"ids[TYPE]=id1,id2 with TYPE one of {_TYPES}"
    if code == "40004":
        return "only ids[TYPE], l and the tolerated parameters"
    if code == "40005" and parameter == "l":
        return "a language tag the storefront supports, e.g. l=en-US"
    if code == "40005":
        return f"ids[TYPE]=id1,id2: at least one, no empty elements, TYPE one of {_TYPES}"
    if entry.status == 414:
        return "a shorter request target: split the ids over several requests"
    if entry.status in (404, 405) or code == "40000":
        return "POST /v1/me/library (no trailing slash)"
    return "a request the real API accepts"


def explain(entry: JournalEntry) -> str:
    """One journal entry, near-miss style: what arrived, what the fake answered, and why."""
    target = entry.path + (f"?{entry.query}" if entry.query else "")
    line = f"#{entry.seq} {entry.method} {target} -> {entry.status}"
    if entry.code:
        line += f" {entry.code}"
    if entry.rule:
        line += f" (rule {entry.rule})"
    if entry.fault:
        line += f" [fault: {entry.fault}]"
    if entry.status in VIOLATION_STATUSES and entry.rule is None:
        where = f" on {entry.parameter!r}" if entry.parameter else ""
        why = entry.detail or entry.reason or ""
        line += f"\n    broke the contract{where}: {why}".rstrip(": ")
        line += f"\n    expected: {_expected(entry)}"
    elif entry.added or entry.ignored or entry.dropped:
        parts = []
        if entry.added:
            parts.append("added " + ", ".join(f"{t}={v}" for t, v in entry.added.items()))
        if entry.ignored:
            parts.append(
                "ignored " + ", ".join(f"{i['id']} ({i['reason']})" for i in entry.ignored)
            )
        if entry.dropped:
            parts.append(
                "silently dropped " + ", ".join(f"{t}={v}" for t, v in entry.dropped.items())
            )
        line += "\n    " + "; ".join(parts)
    return line


class AppleMusicMock:
    """What a test holds: the fake's controls, scoped to this test.

    Works with an in-process :class:`~mockserver.MockController` or, for a server started
    elsewhere, an :class:`~mockserver.AdminClient`. ``scoped=True`` (shared servers) keeps
    the test to its own namespace: its Music-User-Token's rules, library and journal.

    >>> from mockserver import create_app
    >>> mock = AppleMusicMock(create_app().mock, user_token="u1", developer_token="t")
    >>> mock.add_rule(action={"status": 503}, times=1).times
    1
    """

    def __init__(
        self,
        control: MockController | AdminClient,
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
        return self.control.settings

    def configure(self, **settings: Any) -> Settings:
        """Change settings for this test; they are restored when the test ends."""
        if self._base_settings is None:
            self._base_settings = self.control.settings
        return self.control.configure(**settings)

    def add_rule(self, rule: Rule | Mapping[str, Any] | None = None, **fields: Any) -> Rule:
        """Add a scripted rule (see :meth:`MockController.add_rule`); scoped to this test's
        user token on a shared server."""
        data: dict[str, Any] = rule.to_json() if isinstance(rule, Rule) else dict(rule or fields)
        if rule is not None and fields:
            raise TypeError("give a rule or its fields, not both")
        if self.scoped:
            match = dict(data.get("match", {}))
            match.setdefault("user_token", self.user_token)
            data["match"] = match
            data.pop("id", None) if isinstance(rule, Rule) else None
        return self.control.add_rule(data)

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

    def requests(self, **filters: Any) -> list[JournalEntry]:
        """What the fake received during this test (oldest first), filtered like the journal."""
        if self.scoped:
            filters.setdefault("user_token", self.user_token)
        filters.setdefault("since", self._since)
        return self.control.journal_entries(**filters)

    def library(self, type_: str = "songs", *, user_token: str | None = None) -> list[str]:
        """Catalog ids in the user's library (this test's user by default), in order added."""
        snapshot = self.control.get_library(user_token or self.user_token)
        return [item["catalog_id"] for item in snapshot[type_]]

    def contract_violations(self) -> list[JournalEntry]:
        """Requests the fake refused without a rule telling it to: what the real API refuses."""
        return [e for e in self.requests() if e.status in VIOLATION_STATUSES and e.rule is None]

    def report(self) -> str:
        """Everything received and answered during this test, near-miss style."""
        entries = self.requests()
        if not entries:
            return "apple-music-mock received no requests during this test."
        lines = [f"apple-music-mock received {len(entries)} request(s):"]
        lines += [explain(entry) for entry in entries]
        return "\n".join(lines)

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

    def assert_requests(self, count: int | None = None, **filters: Any) -> list[JournalEntry]:
        """Assert how many requests matching ``filters`` arrived (any number > 0 if ``count``
        is None); returns them."""
        __tracebackhide__ = True
        entries = self.requests(**filters)
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
            raise AppleMusicAssertionError(
                f"{len(violations)} request(s) broke the Apple Music API contract:\n"
                + "\n".join(explain(e) for e in violations)
            )

    # --- lifecycle -------------------------------------------------------------------------

    def reset(self) -> None:
        """Undo this test: its rules, library, journal and settings changes."""
        if self._base_settings is not None:
            self.control.configure(self._base_settings)
            self._base_settings = None
        if self.scoped:
            self.control.reset(namespace=self.user_token)
        else:
            self.control.reset()
        self._since = self._last_seq()
