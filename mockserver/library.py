"""Per-user library state: what was added, what was ignored and why, and when it shows up."""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import MockServerError
from .ids import LIBRARY_KINDS, RESOURCE_TYPES, library_id

if TYPE_CHECKING:
    from .catalog import Catalog
    from .policy import CatalogPolicy

__all__ = ["AddResult", "IgnoredId", "LibraryFull", "LibraryItem", "LibraryStore"]


class LibraryFull(MockServerError):
    """An add would take the store past one of its documented limits; nothing was added."""

    def __init__(self, setting: str, limit: int) -> None:
        super().__init__(
            f"apple-music-mock limit reached: {setting}={limit}; raise the setting or reset the fake"
        )
        self.setting = setting
        self.limit = limit


class IgnoredId(NamedTuple):
    """An id the request carried that the library will not add, and why."""

    type: str
    id: str
    reason: str


class LibraryItem(NamedTuple):
    """One item in a user's library, shaped for the read-back endpoints. The store keeps the
    same fields as a plain tuple, which the garbage collector stops tracking (it never does
    for a NamedTuple instance), so a large library costs no collection time."""

    type: str
    catalog_id: str
    library_id: str
    added_at: float
    visible_at: float
    title: str | None = None
    """A created playlist's name (added items have none)."""
    description: str | None = None

    @property
    def name(self) -> str:
        """A created playlist's name; otherwise a stable name derived from the catalog id (no
        catalog supplies real names), e.g. ``Song 1564531202``."""
        if self.title is not None:
            return self.title
        return f"{_NAME_PREFIX[self.type]} {self.catalog_id}"

    def to_resource(
        self,
        *,
        include_catalog: bool = False,
        catalog: Catalog | None = None,
        storefront: str = "us",
    ) -> dict[str, Any]:
        """The item as Apple's library resource: the catalog's attributes (name, artist,
        album, duration, …) when ``catalog`` lists it, ``playParams`` as documented
        (``globalId`` for playlists, ``catalogId`` for the others), and with
        ``include=catalog`` the ``catalog`` relationship: the catalog resource itself when
        the catalog lists it, else its id and type."""
        kind = LIBRARY_KINDS[self.type]
        play: dict[str, Any] = {"id": self.library_id, "kind": kind.kind, "isLibrary": True}
        attributes: dict[str, Any] = {"name": self.name}
        if catalog is not None and self.catalog_id and self.title is None:
            attributes.update(catalog.library_attributes(self.type, self.catalog_id))
        attributes["playParams"] = play
        related: list[dict[str, Any]] = []
        if self.catalog_id:
            play["globalId" if self.type == "playlists" else "catalogId"] = self.catalog_id
            full = None if catalog is None else catalog.get(self.type, self.catalog_id, storefront)
            related.append(full or {"id": self.catalog_id, "type": self.type})
        if self.title is not None:  # created by the client: editable, no catalog copy
            attributes["canEdit"] = True
            if self.description is not None:
                attributes["description"] = {"standard": self.description}
        resource: dict[str, Any] = {
            "id": self.library_id,
            "type": kind.type,
            "href": f"/v1/me/library/{self.type}/{self.library_id}",
            "attributes": attributes,
        }
        if include_catalog:
            resource["relationships"] = {"catalog": {"data": related}}
        return resource


_NAME_PREFIX = {
    "songs": "Song",
    "albums": "Album",
    "playlists": "Playlist",
    "music-videos": "Music Video",
}


class AddResult(NamedTuple):
    added: Mapping[str, Sequence[str]]
    ignored: tuple[IgnoredId, ...]
    dropped: dict[str, list[str]]


_Row = tuple[str, str, str, float, float]


@dataclass
class _Created:
    """A playlist the client created: its item and its tracks (library ids, in order)."""

    item: LibraryItem
    tracks: list[str]


class LibraryStore:
    """Every user's library, keyed by Music-User-Token; safe to use from several threads."""

    def __init__(self) -> None:
        self._users: dict[str, dict[tuple[str, str], _Row]] = {}
        self._created: dict[str, dict[str, _Created]] = {}
        self._count = itertools.count()
        self._lock = threading.Lock()

    def add(
        self,
        user: str,
        addable: Mapping[str, Sequence[str]],
        now: float,
        *,
        policy: CatalogPolicy,
        visibility_delay: float = 0.0,
        max_users: int = sys.maxsize,
        max_items: int = sys.maxsize,
    ) -> AddResult:
        """Add ``addable`` (type -> catalog ids) to ``user``'s library as ``policy`` decides.
        In an open catalog every id is kept and ``added`` is ``addable`` itself. Raises
        :class:`LibraryFull` (adding nothing) past ``max_users`` or ``max_items``."""
        kept, ignored, dropped = policy.decide(user, addable)
        self.add_all(user, kept, now, now + visibility_delay, max_users, max_items)
        return AddResult(kept, ignored, dropped)

    def add_all(
        self,
        user: str,
        addable: Mapping[str, Sequence[str]],
        now: float,
        visible_at: float,
        max_users: int,
        max_items: int,
    ) -> None:
        """Add every id of ``addable`` (type -> catalog ids) not in the library yet, visible at
        ``visible_at``: what :meth:`add` keeps, and the whole add in an open catalog (no per-id
        decision). Raises :class:`LibraryFull` (adding nothing) past the limits."""
        with self._lock:
            items = self._users.get(user)
            if items is None:
                if len(self._users) >= max_users:
                    raise LibraryFull("max_users", max_users)
                items = self._users[user] = {}
            new = [(t, i) for t, ids in addable.items() for i in ids if (t, i) not in items]
            if not new:  # a repeated add: nothing changes
                return
            new = list(dict.fromkeys(new))
            if len(items) + len(new) > max_items:
                raise LibraryFull("max_library_items", max_items)
            for type_, id_ in new:
                prefix = LIBRARY_KINDS[type_].prefix
                items[(type_, id_)] = (
                    type_,
                    id_,
                    library_id(prefix, user, type_, id_),
                    now,
                    visible_at,
                )

    def items(
        self, user: str, type_: str | None = None, *, now: float | None = None
    ) -> list[LibraryItem]:
        """The user's items (of ``type_``), in the order added; only visible ones when ``now``."""
        with self._lock:
            items = self._users.get(user)
            values: list[tuple[Any, ...]] = [] if items is None else list(items.values())
            if type_ in (None, "playlists") and user in self._created:
                values += [created.item for created in self._created[user].values()]
        return [
            item
            for item in itertools.starmap(LibraryItem, values)
            if (type_ is None or item.type == type_) and (now is None or item.visible_at <= now)
        ]

    def find(self, user: str, type_: str, library_id: str, *, now: float) -> LibraryItem | None:
        """The user's visible item of ``type_`` with ``library_id``, or None (rows are
        compared as kept: only the one found becomes a :class:`LibraryItem`)."""
        with self._lock:
            items = self._users.get(user)
            rows: list[tuple[Any, ...]] = [] if items is None else list(items.values())
            created = self._created.get(user, {}).get(library_id)
        for row in rows:
            if row[2] == library_id and row[0] == type_ and row[4] <= now:
                return LibraryItem(*row)
        if created is not None and type_ == "playlists" and created.item.visible_at <= now:
            return created.item
        return None

    def put(
        self,
        user: str,
        contents: Mapping[str, Iterable[str]],
        now: float,
        *,
        max_users: int = sys.maxsize,
        max_items: int = sys.maxsize,
    ) -> None:
        """Replace the user's library with ``contents`` (visible at once); LibraryFull past
        the limits."""
        unknown = set(contents) - set(RESOURCE_TYPES)
        if unknown:
            raise ValueError(f"unknown resource type(s): {', '.join(sorted(unknown))}")
        items: dict[tuple[str, str], _Row] = {}
        for type_, ids in contents.items():
            prefix = LIBRARY_KINDS[type_].prefix
            for id_ in ids:
                items[(type_, id_)] = (type_, id_, library_id(prefix, user, type_, id_), now, now)
        if len(items) > max_items:
            raise LibraryFull("max_library_items", max_items)
        with self._lock:
            if user not in self._users and len(self._users) >= max_users:
                raise LibraryFull("max_users", max_users)
            self._users[user] = items
            self._created.pop(user, None)

    def snapshot(self, user: str) -> dict[str, list[dict[str, Any]]]:
        """The user's library per type, every item with its library id and visibility."""
        result: dict[str, list[dict[str, Any]]] = {t: [] for t in RESOURCE_TYPES}
        with self._lock:
            created = {k: list(c.tracks) for k, c in self._created.get(user, {}).items()}
        for item in self.items(user):
            entry: dict[str, Any] = {
                "catalog_id": item.catalog_id or None,
                "library_id": item.library_id,
                "added_at": item.added_at,
                "visible_at": item.visible_at,
            }
            if item.library_id in created:
                entry.update(
                    name=item.title, description=item.description, tracks=created[item.library_id]
                )
            result[item.type].append(entry)
        return result

    def reset(self, user: str | None = None) -> None:
        with self._lock:
            if user is None:
                self._users.clear()
                self._created.clear()
            else:
                self._users.pop(user, None)
                self._created.pop(user, None)

    # --- playlists the client creates (Create a New Library Playlist, Add Tracks) ----------

    def create_playlist(
        self,
        user: str,
        name: str,
        description: str | None,
        now: float,
        *,
        visibility_delay: float = 0.0,
        max_items: int = sys.maxsize,
    ) -> LibraryItem:
        """A new, empty library playlist (``p.`` id, unique per creation)."""
        with self._lock:
            created = self._created.setdefault(user, {})
            if len(self._users.get(user, ())) + len(created) + 1 > max_items:
                raise LibraryFull("max_library_items", max_items)
            playlist_id = library_id("p.", user, "created", next(self._count), now)
            item = LibraryItem(
                "playlists", "", playlist_id, now, now + visibility_delay, name, description
            )
            created[playlist_id] = _Created(item, [])
        return item

    def append_tracks(
        self, user: str, playlist_id: str, tracks: Sequence[str], *, max_items: int = sys.maxsize
    ) -> bool | None:
        """Add library ids to the end of a playlist the user created: True; False for a
        playlist added from the catalog (not editable); None when the user has no such
        playlist."""
        with self._lock:
            created = self._created.get(user, {}).get(playlist_id)
            if created is None:
                items = self._users.get(user, {})
                return False if any(row[2] == playlist_id for row in items.values()) else None
            if len(created.tracks) + len(tracks) > max_items:
                raise LibraryFull("max_library_items", max_items)
            created.tracks += tracks
            return True

    def playlist_tracks(self, user: str, playlist_id: str, now: float) -> list[LibraryItem]:
        """The visible items among a created playlist's tracks, in playlist order."""
        with self._lock:
            created = self._created.get(user, {}).get(playlist_id)
            tracks = [] if created is None else list(created.tracks)
        if not tracks:
            return []
        with self._lock:
            rows: list[tuple[Any, ...]] = list(self._users.get(user, {}).values())
            rows += [created.item for created in self._created.get(user, {}).values()]
        by_id = {row[2]: row for row in rows if row[4] <= now}
        return [LibraryItem(*by_id[track]) for track in tracks if track in by_id]
