"""The journal: every request the fake received and what it answered, in a bounded ring."""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from .query import decode_query

__all__ = [
    "SECRET_HEADERS",
    "SEPARATOR",
    "Journal",
    "JournalEntry",
    "JournalRecord",
    "fingerprint",
    "flatten",
    "pack_headers",
    "unpack_headers",
]

#: Headers whose values never reach the journal whole.
SECRET_HEADERS = frozenset({"authorization", "music-user-token", "x-mock-admin-token"})
_SECRET_BYTES = frozenset(name.encode() for name in SECRET_HEADERS)


def fingerprint(token: str | None) -> str | None:
    """A stable, non-reversible handle for a token (to filter by it without storing it)."""
    if token is None:
        return None
    return hashlib.sha256(token.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request and its outcome. Tokens appear only redacted or as fingerprints."""

    seq: int
    time: float
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    ids: Mapping[str, list[str]]
    status: int
    code: str | None = None
    parameter: str | None = None
    detail: str | None = None
    reason: str | None = None
    rule: str | None = None
    user: str | None = None
    added: Mapping[str, list[str]] = field(default_factory=dict)
    ignored: list[dict[str, str]] = field(default_factory=list)
    dropped: Mapping[str, list[str]] = field(default_factory=dict)
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JournalEntry:
        return cls(**data)


def pack_headers(raw: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Raw ASGI headers, token values redacted, packed into one bytes object
    (``name: value`` lines): a tenth of the memory of the tuples, and untracked by the GC."""
    lines = []
    for name, value in raw:
        if name in _SECRET_BYTES:
            # Same as redact(), on bytes (latin-1 maps bytes to characters one to one).
            value = value[:6] + b"..." + value[-4:] if len(value) > 12 else b"***"
        lines.append(name + b": " + value)
    return b"\n".join(lines)


def unpack_headers(packed: bytes) -> dict[str, str]:
    """The header mapping of :func:`pack_headers`' output."""
    headers: dict[str, str] = {}
    for line in packed.split(b"\n") if packed else ():
        name, _, value = line.partition(b": ")
        headers[name.decode("latin-1")] = value.decode("latin-1")
    return headers


SEPARATOR = "\x00"


def flatten(mapping: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    if not mapping:
        return ()
    return tuple(f"{type_}{SEPARATOR}{id_}" for type_, ids in mapping.items() for id_ in ids)


def _unflatten(items: tuple[str, ...]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for item in items:
        type_, _, id_ = item.partition(SEPARATOR)
        result.setdefault(type_, []).append(id_)
    return result


class JournalRecord(NamedTuple):
    """A view of one journaled request. The ring keeps the same fields as a plain tuple: the
    garbage collector stops tracking an exact tuple of atoms, never a NamedTuple instance."""

    seq: int
    time: float
    method: str
    path: str
    query: bytes
    headers: bytes
    user: str | None
    status: int
    code: str | None
    parameter: str | None
    detail: str | None
    reason: str | None
    rule: str | None
    added: tuple[str, ...] | None
    ignored: tuple[str, ...]
    dropped: tuple[str, ...]
    fault: str | None

    def entry(self) -> JournalEntry:
        ids: dict[str, list[str]] = {}
        for key, value in decode_query(self.query):
            if key.startswith("ids[") and key.endswith("]"):
                ids.setdefault(key[4:-1], []).extend(value.split(",") if value else [])
        return JournalEntry(
            seq=self.seq,
            time=self.time,
            method=self.method,
            path=self.path,
            query=self.query.decode("latin-1"),
            headers=unpack_headers(self.headers),
            ids=ids,
            status=self.status,
            code=self.code,
            parameter=self.parameter,
            detail=self.detail,
            reason=self.reason,
            rule=self.rule,
            user=fingerprint(self.user),
            added={t: list(v) for t, v in ids.items()}
            if self.added is None
            else _unflatten(self.added),
            ignored=[
                dict(zip(("type", "id", "reason"), item.split(SEPARATOR), strict=True))
                for item in self.ignored
            ],
            dropped=_unflatten(self.dropped),
            fault=self.fault,
        )


_USER = JournalRecord._fields.index("user")


class Journal:
    """A ring buffer of entries with exact counts under concurrency.

    ``total`` counts every request ever recorded; ``overflow`` how many fell off the ring.
    """

    def __init__(self, size: int = 10_000) -> None:
        if size < 1:
            raise ValueError(f"size={size} must be >= 1")
        self.size = size
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.total = 0
        self.overflow = 0

    def resize(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"size={size} must be >= 1")
        with self._lock:
            dropped = max(0, len(self._entries) - size)
            self._entries = deque(self._entries, maxlen=size)
            self.overflow += dropped
            self.size = size

    def next_seq(self) -> int:
        return next(self._seq)  # itertools.count is atomic under the GIL

    def append(self, record: tuple[Any, ...]) -> None:
        """Keep ``record``: a plain tuple with :class:`JournalRecord`'s fields."""
        with self._lock:
            if len(self._entries) == self.size:
                self.overflow += 1
            self._entries.append(record)
            self.total += 1

    def entries(self, **filters: Any) -> list[JournalEntry]:
        """Entries in arrival order, filtered (see :meth:`select`), redacted."""
        return [record.entry() for record in self.select(**filters)]

    def select(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        code: str | None = None,
        rule: str | None = None,
        user_token: str | None = None,
        since: int | None = None,
        limit: int | None = None,
    ) -> list[JournalRecord]:
        """Records in arrival order; ``since`` keeps seq > since, ``limit`` the last N."""
        with self._lock:
            snapshot = list(map(JournalRecord._make, self._entries))
        result = [
            record
            for record in snapshot
            if (method is None or record.method == method)
            and (path is None or record.path == path)
            and (status is None or record.status == status)
            and (code is None or record.code == code)
            and (rule is None or record.rule == rule)
            and (user_token is None or record.user == user_token)
            and (since is None or record.seq > since)
        ]
        return result if limit is None else result[-limit:]

    def count(self, **filters: Any) -> int:
        return len(self.select(**filters))

    def clear(self, user_token: str | None = None) -> None:
        with self._lock:
            if user_token is None:
                self._entries.clear()
                return
            user = _USER
            self._entries = deque(
                (r for r in self._entries if r[user] != user_token), maxlen=self.size
            )

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "size": self.size,
                "kept": len(self._entries),
                "total": self.total,
                "overflow": self.overflow,
            }
