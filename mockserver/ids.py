"""The id vocabulary: addable resource types, catalog id shapes and library ids, all read from
``schemas/query.schema.json`` and ``schemas/ids.schema.json``."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Literal, NamedTuple

from .schemas import load_schemas, python_pattern

__all__ = [
    "LIBRARY_KINDS",
    "RESOURCE_TYPES",
    "IdKind",
    "IdShapes",
    "LibraryKind",
    "library_id",
]


class LibraryKind(NamedTuple):
    """How an addable type appears in a library."""

    prefix: str
    """Prefix of its library ids, e.g. ``i.`` for songs."""
    type: str
    """Its library resource type, e.g. ``library-songs``."""
    kind: str
    """``playParams.kind``, e.g. ``song``."""


_SCHEMAS = load_schemas()
_ID_DEFS = _SCHEMAS.document("ids.schema.json")["$defs"]

#: Resource types that can be added to a library, in the schema's order.
RESOURCE_TYPES: tuple[str, ...] = tuple(
    _SCHEMAS.document("query.schema.json")["$defs"]["resourceType"]["enum"]
)

#: Resource type -> its library prefix, library type and playParams kind.
LIBRARY_KINDS: Mapping[str, LibraryKind] = {
    type_: LibraryKind(**spec["const"])
    for type_, spec in _ID_DEFS["libraryKinds"]["properties"].items()
}

IdKind = Literal["catalog", "library", "wrong-shape"]


class IdShapes:
    """Classifies ids with the patterns of ``schemas/ids.schema.json``.

    >>> IdShapes().classify("songs", "1564531202"), IdShapes().classify("songs", "i.abc")
    ('catalog', 'library')
    """

    def __init__(self) -> None:
        by_type = _ID_DEFS["catalog"]["properties"]
        self.catalog: dict[str, re.Pattern[str]] = {}
        self.descriptions: dict[str, str] = {}
        for type_ in RESOURCE_TYPES:
            target = _ID_DEFS[by_type[type_]["$ref"].rsplit("/", 1)[1]]
            self.catalog[type_] = python_pattern(target["pattern"])
            self.descriptions[type_] = target["description"]
        self.library = python_pattern(_ID_DEFS["library"]["pattern"])

    def is_catalog(self, type_: str, id_: str) -> bool:
        return self.catalog[type_].match(id_) is not None

    def classify(self, type_: str, id_: str) -> IdKind:
        if self.catalog[type_].match(id_):
            return "catalog"
        if self.library.match(id_):
            return "library"
        return "wrong-shape"


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def library_id(prefix: str, *parts: object) -> str:
    """A stable library id: ``prefix`` + 14 base62 characters derived from ``parts``."""
    number = int.from_bytes(
        hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=10).digest(), "big"
    )
    digits = []
    for _ in range(14):
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return prefix + "".join(digits)
