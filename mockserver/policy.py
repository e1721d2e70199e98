"""What an add keeps: the catalog's ids that exist and are available in the user's
storefront, minus the ones scripted to drop, plus what the add brings along (a song's album)."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .catalog import Catalog
from .chance import unit_interval
from .config import Settings
from .ids import IdShapes
from .library import IgnoredId
from .validation import CheckedCatalog

__all__ = ["CatalogPolicy"]


_SHAPES = IdShapes()


def _catalog(document: Mapping[str, Any] | None) -> Catalog:
    """The catalog built from ``document``, kept on it: a configuration change that keeps the
    catalog, or a namespace sharing it, does not index it again."""
    if not isinstance(document, CheckedCatalog):  # None: the open catalog
        return Catalog(document)
    catalog: Catalog | None = document.built
    if catalog is None:
        catalog = document.built = Catalog(document)
    return catalog


@dataclass(frozen=True)
class CatalogPolicy:
    """Which well-shaped catalog ids exist and can be added in the user's storefront, which
    are silently dropped, and what else an add brings along (a song's album)."""

    catalog: Catalog = field(default_factory=lambda: Catalog(None))
    unavailable: Mapping[str, frozenset[str]] = field(default_factory=dict)
    drop_rate: float = 0.0
    seed: int = 0
    storefront: str = "us"
    user_storefronts: Mapping[str, str] = field(default_factory=dict)
    song_adds_album: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> CatalogPolicy:
        return cls(
            catalog=_catalog(settings.catalog),
            unavailable={t: frozenset(ids) for t, ids in settings.unavailable_ids.items()},
            drop_rate=settings.drop_rate,
            seed=settings.seed,
            storefront=settings.storefront,
            user_storefronts=settings.user_storefronts,
            song_adds_album=settings.song_adds_album,
        )

    @functools.cached_property
    def open(self) -> bool:
        """Every well-shaped id is addable and kept: no per-id decision to make."""
        return (
            not self.catalog.listed and not any(self.unavailable.values()) and self.drop_rate <= 0
        )

    def storefront_of(self, user: str | None) -> str:
        """The user's storefront (``user_storefronts``, else ``storefront``)."""
        return self.user_storefronts.get(user or "", self.storefront)

    def refusal(self, type_: str, id_: str, storefront: str) -> str | None:
        catalog = self.catalog
        if catalog.has(type_, id_):
            if not catalog.available(type_, id_, storefront):
                return "unavailable"
        elif not catalog.adds_unknown:
            return "unknown"
        if id_ in self.unavailable.get(type_, ()):
            return "unavailable"
        return None

    def dropped(self, user: str, type_: str, id_: str) -> bool:
        if self.drop_rate <= 0:
            return False
        return unit_interval(self.seed, "drop", user, type_, id_) < self.drop_rate

    def decide(
        self, user: str, addable: Mapping[str, Sequence[str]]
    ) -> tuple[Mapping[str, Sequence[str]], tuple[IgnoredId, ...], dict[str, list[str]]]:
        """Split ``addable`` into what is kept (with the albums of kept songs, when
        ``song_adds_album``), ignored (with the reason) and dropped."""
        if self.open:
            return addable, (), {}
        storefront = self.storefront_of(user)
        kept: dict[str, list[str]] = {}
        ignored: list[IgnoredId] = []
        dropped: dict[str, list[str]] = {}
        for type_, ids in addable.items():
            for id_ in ids:
                reason = self.refusal(type_, id_, storefront)
                if reason is not None:
                    ignored.append(IgnoredId(type_, id_, reason))
                elif self.dropped(user, type_, id_):
                    dropped.setdefault(type_, []).append(id_)
                else:
                    kept.setdefault(type_, []).append(id_)
        if self.song_adds_album and "songs" in kept and self.catalog.listed:
            for song in kept["songs"]:
                album = self.catalog.album_of(song)
                albums = kept.setdefault("albums", [])
                if (
                    album is not None
                    and album not in albums
                    and self._addable("albums", album, storefront)
                ):
                    albums.append(album)
            if not kept["albums"]:
                del kept["albums"]
        return kept, tuple(ignored), dropped

    def _addable(self, type_: str, id_: str, storefront: str) -> bool:
        """Whether an item an add brings along (a song's album) joins the library: catalog
        shaped, and not refused as the add would refuse it (unknown, unavailable)."""
        return _SHAPES.is_catalog(type_, id_) and self.refusal(type_, id_, storefront) is None
