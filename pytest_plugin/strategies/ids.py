"""Ids and id groups in (or deliberately out of) the schema's shapes."""

from __future__ import annotations

import string
from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.ids import LIBRARY_KINDS, RESOURCE_TYPES, IdShapes

from ._checks import check_size, check_type

__all__ = ["catalog_ids", "id_groups", "library_ids", "malformed_ids"]

_SHAPES = IdShapes()
_BASE62 = string.digits + string.ascii_letters


def catalog_ids(type: str = "songs") -> st.SearchStrategy[str]:
    """Catalog ids of ``type`` in the schema's shape: digits for songs, albums and music
    videos; ``pl.`` + 32 hex, ``pl.u-…`` or ``pl.pm-…`` for playlists. Shrinks to short ids."""
    check_type(type, RESOURCE_TYPES)
    if type == "playlists":
        return st.one_of(
            st.text("0123456789abcdef", min_size=32, max_size=32).map("pl.".__add__),
            st.text(_BASE62, min_size=1, max_size=16).map("pl.u-".__add__),
            st.text(_BASE62, min_size=1, max_size=16).map("pl.pm-".__add__),
        )
    return st.integers(min_value=1, max_value=10**12).map(str)


def library_ids(type: str = "songs") -> st.SearchStrategy[str]:
    """Library ids (``i.`` songs and music videos, ``l.`` albums, ``p.`` playlists): not
    catalog ids, so the fake ignores them by default."""
    check_type(type, RESOURCE_TYPES)
    return st.text(_BASE62, min_size=1, max_size=16).map(LIBRARY_KINDS[type].prefix.__add__)


def malformed_ids(type: str = "songs") -> st.SearchStrategy[str]:
    """Non-empty ids of neither a catalog shape for ``type`` nor a library shape."""
    check_type(type, RESOURCE_TYPES)
    alphabet = _BASE62 + ".-_"
    return st.text(alphabet, min_size=1, max_size=24).filter(
        lambda s: _SHAPES.classify(type, s) == "wrong-shape"
    )


def id_groups(
    types: Sequence[str] = RESOURCE_TYPES,
    *,
    min_size: int = 1,
    max_size: int | None = 10,
    unique: bool = True,
    ignored: bool = False,
) -> st.SearchStrategy[dict[str, list[str]]]:
    """A mapping of resource type -> ids: the unit a client batches.

    At least one of ``types`` appears, each with ``min_size`` to ``max_size`` ids (unique
    within the type unless ``unique=False``). With ``ignored=True`` the lists mix in library
    ids and malformed ids, which the fake accepts with 202 but does not add. Shrinks to one
    type with one short catalog id.
    """
    if isinstance(types, str) or not types:
        raise InvalidArgument(f"types={types!r} must be a non-empty sequence of resource types")
    for type_ in types:
        check_type(type_, RESOURCE_TYPES, "types item")
    check_size(min_size, max_size)

    def ids_for(type_: str) -> st.SearchStrategy[list[str]]:
        element = catalog_ids(type_)
        if ignored:
            element = st.one_of(element, library_ids(type_), malformed_ids(type_))
        return st.lists(element, min_size=min_size, max_size=max_size, unique=unique)

    chosen = st.lists(st.sampled_from(list(dict.fromkeys(types))), min_size=1, unique=True)
    return chosen.flatmap(lambda ts: st.fixed_dictionaries({t: ids_for(t) for t in ts}))
