"""Per-user library state: what was added, what was ignored and why, and when it shows up."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .query import RESOURCE_TYPES, IgnoredId
from .rules import unit_interval

__all__ = ["LIBRARY_KINDS", "AddResult", "CatalogPolicy", "LibraryItem", "LibraryStore"]

#: Resource type -> (library id prefix, library type, playParams kind).
LIBRARY_KINDS: Mapping[str, tuple[str, str, str]] = {
    "songs": ("i.", "library-songs", "song"),
    "albums": ("l.", "library-albums", "album"),
    "playlists": ("p.", "library-playlists", "playlist"),
    "music-videos": ("i.", "library-music-videos", "musicVideo"),
}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _library_id(prefix: str, *parts: object) -> str:
    number = int.from_bytes(
        hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=10).digest(), "big"
    )
    digits = []
    for _ in range(14):
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return prefix + "".join(digits)


class LibraryItem(NamedTuple):
    """One item in a user's library, shaped for the read-back endpoints. The store keeps the
    same fields as a plain tuple, which the garbage collector stops tracking (it never does
    for a NamedTuple instance), so a large library costs no collection time."""

    type: str
    catalog_id: str
    library_id: str
    added_at: float
    visible_at: float

    def to_resource(self) -> dict[str, Any]:
        _, library_type, kind = LIBRARY_KINDS[self.type]
        return {
            "id": self.library_id,
            "type": library_type,
            "href": f"/v1/me/library/{self.type}/{self.library_id}",
            "attributes": {
                "playParams": {
                    "id": self.library_id,
                    "kind": kind,
                    "isLibrary": True,
                    "catalogId": self.catalog_id,
                }
            },
        }


class AddResult(NamedTuple):
    added: Mapping[str, Sequence[str]]
    ignored: tuple[IgnoredId, ...]
    dropped: dict[str, list[str]]


@dataclass(frozen=True)
class CatalogPolicy:
    """Which well-shaped catalog ids exist and can be added."""

    catalog: Mapping[str, frozenset[str]] | None = None
    unavailable: Mapping[str, frozenset[str]] = field(default_factory=dict)
    drop_rate: float = 0.0
    seed: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> CatalogPolicy:
        catalog = settings.catalog
        return cls(
            catalog=None if catalog is None else {t: frozenset(ids) for t, ids in catalog.items()},
            unavailable={t: frozenset(ids) for t, ids in settings.unavailable_ids.items()},
            drop_rate=settings.drop_rate,
            seed=settings.seed,
        )

    @functools.cached_property
    def open(self) -> bool:
        """Every well-shaped id is addable and kept: no per-id decision to make."""
        return self.catalog is None and not any(self.unavailable.values()) and self.drop_rate <= 0

    def refusal(self, type_: str, id_: str) -> str | None:
        if self.catalog is not None and id_ not in self.catalog.get(type_, ()):
            return "unknown"
        if id_ in self.unavailable.get(type_, ()):
            return "unavailable"
        return None

    def dropped(self, user: str, type_: str, id_: str) -> bool:
        if self.drop_rate <= 0:
            return False
        return unit_interval(self.seed, "drop", user, type_, id_) < self.drop_rate


@dataclass
class _UserLibrary:
    items: dict[tuple[str, str], tuple[str, str, str, float, float]] = field(default_factory=dict)
    generations: dict[tuple[str, str], int] = field(default_factory=dict)


class LibraryStore:
    """Every user's library, keyed by Music-User-Token; safe to use from several threads."""

    def __init__(
        self, policy: CatalogPolicy | None = None, *, visibility_delay: float = 0.0
    ) -> None:
        self.policy = policy or CatalogPolicy()
        self.visibility_delay = visibility_delay
        self._users: dict[str, _UserLibrary] = {}
        self._lock = threading.Lock()

    def add(self, user: str, addable: Mapping[str, Sequence[str]], now: float) -> AddResult:
        """Add ``addable`` (type -> catalog ids) to ``user``'s library. In an open catalog
        every id is kept and ``added`` is ``addable`` itself."""
        policy = self.policy
        if policy.open:
            kept: Mapping[str, Sequence[str]] = addable
            ignored: list[IgnoredId] = []
            dropped: dict[str, list[str]] = {}
        else:
            kept, ignored, dropped = self._decide(user, addable)
        with self._lock:
            library = self._users.get(user)
            if library is None:
                library = self._users[user] = _UserLibrary()
            items = library.items
            for type_, ids in kept.items():
                for id_ in ids:
                    key = (type_, id_)
                    if key not in items:
                        items[key] = (
                            type_,
                            id_,
                            _library_id(
                                LIBRARY_KINDS[type_][0],
                                user,
                                type_,
                                id_,
                                library.generations.get(key, 0),
                            ),
                            now,
                            now + self.visibility_delay,
                        )
        return AddResult(kept, tuple(ignored), dropped)

    def _decide(
        self, user: str, addable: Mapping[str, Sequence[str]]
    ) -> tuple[dict[str, list[str]], list[IgnoredId], dict[str, list[str]]]:
        policy = self.policy
        kept: dict[str, list[str]] = {}
        ignored: list[IgnoredId] = []
        dropped: dict[str, list[str]] = {}
        for type_, ids in addable.items():
            for id_ in ids:
                reason = policy.refusal(type_, id_)
                if reason is not None:
                    ignored.append(IgnoredId(type_, id_, reason))
                elif policy.dropped(user, type_, id_):
                    dropped.setdefault(type_, []).append(id_)
                else:
                    kept.setdefault(type_, []).append(id_)
        return kept, ignored, dropped

    def items(
        self, user: str, type_: str | None = None, *, now: float | None = None
    ) -> list[LibraryItem]:
        """The user's items (of ``type_``), in the order added; only visible ones when ``now``."""
        with self._lock:
            library = self._users.get(user)
            if library is None:
                return []
            values = list(library.items.values())
        return [
            item
            for item in map(LibraryItem._make, values)
            if (type_ is None or item.type == type_) and (now is None or item.visible_at <= now)
        ]

    def remove(self, user: str, type_: str, catalog_id: str) -> bool:
        with self._lock:
            library = self._users.get(user)
            key = (type_, catalog_id)
            if library is None or key not in library.items:
                return False
            del library.items[key]
            library.generations[key] = library.generations.get(key, 0) + 1
            return True

    def put(self, user: str, contents: Mapping[str, Iterable[str]], now: float) -> None:
        """Replace the user's library with ``contents`` (visible at once)."""
        unknown = set(contents) - set(RESOURCE_TYPES)
        if unknown:
            raise ValueError(f"unknown resource type(s): {', '.join(sorted(unknown))}")
        with self._lock:
            library = _UserLibrary()
            for type_, ids in contents.items():
                prefix = LIBRARY_KINDS[type_][0]
                for id_ in ids:
                    library.items[(type_, id_)] = (
                        type_,
                        id_,
                        _library_id(prefix, user, type_, id_, 0),
                        now,
                        now,
                    )
            self._users[user] = library

    def snapshot(self, user: str) -> dict[str, list[dict[str, Any]]]:
        """The user's library per type, every item with its library id and visibility."""
        result: dict[str, list[dict[str, Any]]] = {t: [] for t in RESOURCE_TYPES}
        for item in self.items(user):
            result[item.type].append(
                {
                    "catalog_id": item.catalog_id,
                    "library_id": item.library_id,
                    "added_at": item.added_at,
                    "visible_at": item.visible_at,
                }
            )
        return result

    def users(self) -> list[str]:
        with self._lock:
            return list(self._users)

    def reset(self, user: str | None = None) -> None:
        with self._lock:
            if user is None:
                self._users.clear()
            else:
                self._users.pop(user, None)
