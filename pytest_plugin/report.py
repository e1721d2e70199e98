"""Near-miss reports: what arrived at the fake, what it answered, and what the contract
expected instead."""

from __future__ import annotations

from urllib.parse import unquote

from mockserver import JournalEntry
from mockserver.catalog_reads import NOT_IN_CATALOG
from mockserver.ids import RESOURCE_TYPES
from mockserver.reads import NOT_IN_LIBRARY
from mockserver.tokens import MAX_TOKEN_LIFETIME

__all__ = [
    "REPORT_HEAD",
    "VIOLATION_STATUSES",
    "AppleMusicAssertionError",
    "decoded",
    "explain",
    "is_violation",
]

#: Statuses the fake sends for requests the real API would refuse (when no rule made it).
VIOLATION_STATUSES = frozenset({400, 401, 403, 404, 405, 414})

#: How every report (pytest_plugin.AppleMusicMock.report) begins.
REPORT_HEAD = "apple-music-mock received"

_TYPES = ", ".join(sorted(RESOURCE_TYPES))


def is_violation(entry: JournalEntry) -> bool:
    """A request the real API would refuse, refused without a rule telling the fake to. (A
    well-formed read of an id the library or the catalog does not hold is answered 404 by
    the real API too: not a violation.)"""
    return (
        entry.status in VIOLATION_STATUSES
        and entry.rule is None
        and entry.reason not in (NOT_IN_LIBRARY, NOT_IN_CATALOG)
    )


class AppleMusicAssertionError(AssertionError):
    """An expectation about what the fake received did not hold."""


def _expected(entry: JournalEntry) -> str:
    code, parameter = entry.code, entry.parameter or ""
    if entry.status == 401:
        return (
            "Authorization: Bearer <ES256 developer token: kid and iss of 10 characters, "
            f"iat not in the future, exp within {MAX_TOKEN_LIFETIME:,} s, raw R||S signature by a "
            "trusted key>"
        )
    if code == "40300" and entry.path.startswith("/v1/me/library/playlists/"):
        return "a playlist created through the API: one added from the catalog cannot be edited"
    if code == "40300":
        return (
            "a non-empty Music-User-Token the fake accepts (Media-User-Token counts only "
            "where user_token_headers says so: by default on amp-api.music.apple.com)"
        )
    if code == "40015":
        return "a user with a subscription (this one is in unsubscribed_user_tokens)"
    path = entry.path
    body_error = code in ("40000", "40005") and not parameter
    if body_error and path.startswith("/v1/me/library/playlists") and entry.method == "POST":
        return (
            'a JSON body: {"attributes": {"name": …}, "relationships": {"tracks": {"data": '
            '[{"id", "type"}]}}} to create, {"data": [{"id", "type"}]} to add tracks; type '
            "one of songs, library-songs, music-videos, library-music-videos"
        )
    if entry.method in ("GET", "HEAD") and path.startswith("/v1/me/library") and code:
        return (
            "the read's documented parameters: l and include=catalog; limit and offset on "
            "pages; ids on the collections; ids[library-TYPE] on /v1/me/library"
        )
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
    if entry.status in (404, 405) and path.startswith("/v1/me/library/"):
        return (
            "a documented library endpoint: GET /v1/me/library/{type}[/{id}], …/recently-added, "
            "POST …/playlists, GET or POST …/playlists/{id}/tracks"
        )
    if entry.status in (404, 405) or code == "40000":
        return "POST /v1/me/library (no trailing slash)"
    return "a request the real API accepts"


def printable(text: str) -> str:
    """``text`` with every character that is not printable (a line break, a control
    character) escaped as Python writes it, so a request cannot forge report lines."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def decoded(query: str) -> str:
    """A query as a reader wants it: each key and value percent-decoded (``+`` is a space,
    as the fake reads it), ``&`` and ``=`` left where the client put them, and what does
    not print (``%0A``, control characters) escaped: ``\\n``, ``\\x00``."""
    return printable(
        "&".join(
            "=".join(unquote(part.replace("+", " ")) for part in pair.split("=", 1))
            for pair in query.split("&")
        )
    )


def explain(entry: JournalEntry) -> str:
    """One journal entry, near-miss style: what arrived (the query decoded; the raw target
    on the next line when it differs), what the fake answered, and why."""
    path = printable(entry.path)
    raw = path + (f"?{printable(entry.query)}" if entry.query else "")
    target = path + (f"?{decoded(entry.query)}" if entry.query else "")
    line = f"#{entry.seq} {entry.method} {target} -> {entry.status}"
    if entry.code:
        line += f" {entry.code}"
    if entry.rule:
        line += f" (rule {entry.rule})"
    if entry.fault:
        line += f" [fault: {entry.fault}]"
    if entry.user_header is not None and entry.user_header != "music-user-token":
        line += f" (user token from {entry.user_header})"
    if target != raw:
        line += f"\n    raw: {raw}"
    if is_violation(entry):
        where = f" on {entry.parameter!r}" if entry.parameter else ""
        why = printable(entry.detail or entry.reason or "")
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
