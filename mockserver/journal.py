"""The journal: every request the fake received and what it answered, in a bounded ring.

The journal owns its row format: the request path fills an :class:`Exchange` and hands it to
:meth:`Journal.append`, which keeps a plain tuple of atoms and flat tuples (the garbage
collector stops tracking those, so a full journal costs no collection time); reading turns
rows into redacted :class:`JournalEntry` values.
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from .redaction import SECRET_NAMES, fingerprint, is_secret_header, redact_bytes
from .wire import Query

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Unpack
    else:  # pragma: no cover
        from typing_extensions import Unpack

__all__ = [
    "Exchange",
    "Journal",
    "JournalEntry",
    "JournalFilters",
    "JournalRecord",
    "pack_headers",
    "unpack_headers",
]


_REDACTED: dict[bytes, bytes] = {}

#: Header values longer than this are kept truncated (README, "journal_max_bytes").
MAX_HEADER_VALUE = 4096


_PACKED: dict[tuple[Any, ...], bytes] = {}


def pack_headers(raw: Iterable[tuple[bytes, bytes]]) -> bytes:
    """Raw ASGI headers, credentials redacted, packed into one bytes object of ``name: value``
    lines: a tenth of the memory of the tuples, and untracked by the GC. A client sends the
    same few header sets again and again: up to 1,024 small ones are remembered."""
    key = tuple(raw)
    try:
        packed = _PACKED.get(key)
    except TypeError:  # pairs given as lists
        key = tuple((name, value) for name, value in key)
        packed = _PACKED.get(key)
    if packed is None:
        packed = _pack(key)
        if len(_PACKED) < 1024 and len(packed) <= 2048:  # hostile header sets do not grow it
            _PACKED[key] = packed
    return packed


def _pack(raw: Iterable[tuple[bytes, bytes]]) -> bytes:
    lines = []
    for name, value in raw:
        secret = SECRET_NAMES.get(name)
        if secret is None:
            secret = is_secret_header(name)
        if secret:
            shown = _REDACTED.get(value)
            if shown is None:
                shown = redact_bytes(value)
                if (
                    len(_REDACTED) < 1024
                ):  # tokens repeat; a hostile stream of new ones does not grow it
                    _REDACTED[value] = shown
            value = shown
        else:
            if len(value) > MAX_HEADER_VALUE:
                value = value[:MAX_HEADER_VALUE] + b"...[%d more bytes]" % (
                    len(value) - MAX_HEADER_VALUE
                )
            if b"\n" in value:
                value = value.replace(b"\n", b" ")
        lines.append(name + b": " + value)
    return b"\n".join(lines)


def unpack_headers(packed: bytes) -> dict[str, str]:
    """The header mapping of :func:`pack_headers`' output (the first of repeated names)."""
    headers: dict[str, str] = {}
    for line in packed.split(b"\n") if packed else ():
        name, _, value = line.partition(b": ")
        headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return headers


IdPairs = tuple[tuple[str, str], ...]


def _pairs(mapping: Mapping[str, Sequence[str]] | None) -> IdPairs:
    if not mapping:
        return ()
    return tuple((type_, id_) for type_, ids in mapping.items() for id_ in ids)


def _grouped(pairs: IdPairs) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for type_, id_ in pairs:
        result.setdefault(type_, []).append(id_)
    return result


@dataclass(slots=True, eq=False)
class Exchange:
    """One request in progress and what the fake decided: what the journal keeps of it."""

    seq: int
    time: float
    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    user: str | None = None
    status: int = 0
    code: str | None = None
    parameter: str | None = None
    detail: str | None = None
    reason: str | None = None
    rule: str | None = None
    added: Mapping[str, Sequence[str]] | None = None
    added_all: bool = False
    """Every id of the query was added (``added`` is then not kept, only implied)."""
    ignored: tuple[tuple[str, str, str], ...] = ()
    dropped: Mapping[str, Sequence[str]] | None = None
    fault: str | None = None
    user_header: str | None = None
    """The header that carried the user token (``music-user-token`` or ``media-user-token``)."""

    def row(self) -> tuple[Any, ...]:
        """The journal's copy (fields as :class:`JournalRecord`'s), tokens redacted."""
        return (
            self.seq,
            self.time,
            self.method,
            self.path,
            self.query,
            pack_headers(self.headers),
            self.user,
            self.status,
            self.code,
            self.parameter,
            self.detail,
            self.reason,
            self.rule,
            None if self.added_all else _pairs(self.added),
            tuple(map(tuple, self.ignored)) if self.ignored else (),
            _pairs(self.dropped) if self.dropped else (),
            self.fault,
            self.user_header,
        )


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
    user_header: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JournalEntry:
        return cls(**data)


class JournalRecord(NamedTuple):
    """A view of one journaled row (the ring keeps the same fields as a plain tuple: the
    garbage collector stops tracking an exact tuple of atoms, never a NamedTuple)."""

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
    added: IdPairs | None
    ignored: tuple[tuple[str, str, str], ...]
    dropped: IdPairs
    fault: str | None
    user_header: str | None

    def entry(self) -> JournalEntry:
        ids = Query(self.query).ids
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
            else _grouped(self.added),
            ignored=[{"type": t, "id": i, "reason": r} for t, i, r in self.ignored],
            dropped=_grouped(self.dropped),
            fault=self.fault,
            user_header=self.user_header,
        )


_USER = JournalRecord._fields.index("user")
_ROW_OVERHEAD = 400  # bytes of a row beyond its query, headers and ids (tuple, ints, strings)


def _weight(row: tuple[Any, ...]) -> int:
    """Roughly the bytes a row holds: what a hostile request can make large."""
    weight = _ROW_OVERHEAD + len(row[4]) + len(row[5])
    if row[10] is not None:  # a detail: then also the rest that a request can make large
        weight += len(row[10]) + 60 * (len(row[13] or ()) + len(row[14]) + len(row[15]))
    return weight


class JournalFilters(TypedDict, total=False):
    """What :meth:`Journal.select` (and every control surface's ``journal_entries``) filters
    on: each given field must equal; ``since`` keeps entries after that seq; ``limit`` keeps
    the last N."""

    method: str
    path: str
    status: int
    code: str
    rule: str
    user_token: str
    since: int
    limit: int


class Journal:
    """A ring of rows bounded by count (``size``) and by bytes (``max_bytes``), exact under
    concurrency. ``total`` counts every request ever recorded; ``overflow`` how many fell
    off the ring."""

    def __init__(self, size: int = 10_000, *, max_bytes: int = sys.maxsize) -> None:
        self._check(size, max_bytes)
        self.size = size
        self.max_bytes = max_bytes
        self._rows: deque[tuple[Any, ...]] = deque()
        self._weights: deque[int] = deque()  # each row's _weight, worked out once
        self._bytes = 0
        self.sequence = itertools.count(1)
        """The sequence numbers of exchanges (``next()`` is atomic under the GIL)."""
        self._lock = threading.Lock()
        self.total = 0
        self.overflow = 0

    @staticmethod
    def _check(size: int, max_bytes: int) -> None:
        if size < 1:
            raise ValueError(f"size={size} must be >= 1")
        if max_bytes < 1:
            raise ValueError(f"max_bytes={max_bytes} must be >= 1")

    def resize(self, size: int, max_bytes: int | None = None) -> None:
        max_bytes = self.max_bytes if max_bytes is None else max_bytes
        self._check(size, max_bytes)
        with self._lock:
            self.size, self.max_bytes = size, max_bytes
            self._trim()

    def _trim(self) -> None:
        rows, weights = self._rows, self._weights
        while rows and (len(rows) > self.size or self._bytes > self.max_bytes):
            rows.popleft()
            self._bytes -= weights.popleft()
            self.overflow += 1

    def begin(
        self, time: float, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]]
    ) -> Exchange:
        """A new :class:`Exchange` with the next sequence number."""
        return Exchange(next(self.sequence), time, method, path, query, headers)

    def append(self, exchange: Exchange) -> None:
        """Keep ``exchange``'s row."""
        row = exchange.row()
        weight = _weight(row)
        with self._lock:
            rows, weights = self._rows, self._weights
            rows.append(row)
            weights.append(weight)
            self._bytes += weight
            self.total += 1
            if len(rows) > self.size:  # the usual full ring: one out, one in
                rows.popleft()
                self._bytes -= weights.popleft()
                self.overflow += 1
            if self._bytes > self.max_bytes:
                self._trim()

    def entries(self, **filters: Unpack[JournalFilters]) -> list[JournalEntry]:
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
            snapshot = list(self._rows)
        result = [
            record
            for record in map(JournalRecord._make, snapshot)
            if (method is None or record.method == method)
            and (path is None or record.path == path)
            and (status is None or record.status == status)
            and (code is None or record.code == code)
            and (rule is None or record.rule == rule)
            and (user_token is None or record.user == user_token)
            and (since is None or record.seq > since)
        ]
        return result if limit is None else result[-limit:] if limit else []

    def count(self, **filters: Unpack[JournalFilters]) -> int:
        return len(self.select(**filters))

    def clear(self, user_token: str | None = None) -> None:
        with self._lock:
            if user_token is None:
                self._rows.clear()
                self._weights.clear()
                self._bytes = 0
                return
            rows = zip(self._rows, self._weights, strict=True)
            kept = [(row, weight) for row, weight in rows if row[_USER] != user_token]
            self._rows = deque(row for row, _ in kept)
            self._weights = deque(weight for _, weight in kept)
            self._bytes = sum(self._weights)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "size": self.size,
                "kept": len(self._rows),
                "total": self.total,
                "overflow": self.overflow,
            }
