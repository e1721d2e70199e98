"""The add's query: raw query string -> validated ids per resource type, or the Apple error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from .config import Settings
from .errors import AppleError
from .ids import IdKind, IdShapes
from .library import IgnoredId
from .params import clip, ignored_language, to_apple_error, with_more
from .schemas import SchemaSet, python_pattern
from .wire import Query

__all__ = ["ParsedQuery", "QueryParser"]


class ParsedQuery(NamedTuple):
    """A query that passed every check. (Tuples: cheap to build on every request.)"""

    ids: Mapping[str, tuple[str, ...]]
    """Every id per resource type, in the order sent (repeated keys merged)."""
    addable: Mapping[str, tuple[str, ...]]
    """The catalog-shaped ids per type: what the library may add."""
    ignored: tuple[IgnoredId, ...]
    language: str
    """The effective language: ``l`` when the storefront supports it, else its default."""


class QueryParser:
    """Parses and validates queries against the query schema compiled for ``settings``.

    :meth:`parse` first tries :meth:`parse_fast`, which accepts only the common, valid
    shapes (known ``ids[TYPE]`` keys, raw or with ``%5B``/``%5D``/``%2C`` escapes (the query's
    :attr:`~mockserver.wire.Query.text`, shared with the rules), non-empty
    elements, a well-formed ``l``, tolerated extras) without walking the schema, and gives up
    on anything else; the full schema path (:meth:`parse_with_schema`) then decides. A
    Hypothesis test proves the two agree wherever the fast path answers.
    """

    def __init__(self, settings: Settings, schemas: SchemaSet) -> None:
        self.settings = settings
        self.validator = schemas.query_validator(settings.tolerated_parameters)
        self.shapes = IdShapes()
        self.supported_languages = settings.supported_languages
        self.default_language = settings.languages[settings.storefront]["default"]
        query_schema = schemas.document("query.schema.json")
        types = query_schema["$defs"]["resourceType"]["enum"]
        # each known key's type and the match of its catalog id shape
        self._known_keys = {f"ids[{t}]": (t, self.shapes.catalog[t].match) for t in types}
        self._language_tag = python_pattern(query_schema["$defs"]["languageTag"]["pattern"])
        self._tolerated = frozenset(settings.tolerated_parameters)
        self._merge = settings.repeated_keys == "merge"

    def parse(self, query: Query) -> ParsedQuery | AppleError:
        return self.parse_fast(query) or self.parse_with_schema(query)

    def parse_fast(self, query: Query) -> ParsedQuery | None:
        """The common valid shapes without a schema walk; None means "ask the schema"."""
        text = query.text
        if text is None:
            return None
        ids: dict[str, tuple[str, ...]] = {}
        extras: dict[str, str] = {}
        known = self._known_keys
        addable = True  # every id so far has its type's catalog shape
        for piece in text.split("&"):
            key, _, value = piece.partition("=")
            found = known.get(key)
            if found is not None:
                type_, catalog_shape = found
                items = tuple(value.split(","))
                if not value or "" in items:
                    return None
                if addable and not all(map(catalog_shape, items)):
                    addable = False
                if type_ in ids:
                    if not self._merge:
                        return None
                    ids[type_] += items
                else:
                    ids[type_] = items
            elif not piece:
                continue
            elif key == "l" or key in self._tolerated:
                if key in extras:
                    if not self._merge:
                        return None
                    continue
                if key == "l" and not self._language_tag.match(value):
                    return None
                extras[key] = value
            else:
                return None
        if not ids:
            return None
        language = extras.get("l")
        if addable and (language is None or language in self.supported_languages):
            # the usual case: every id addable, nothing ignored
            return ParsedQuery(ids, ids, (), language or self.default_language)
        document: dict[str, Any] = {f"ids[{t}]": list(v) for t, v in ids.items()}
        document.update(extras)
        result = self._accept(document)
        return result if isinstance(result, ParsedQuery) else None

    def parse_with_schema(self, query: Query) -> ParsedQuery | AppleError:
        """Decode every pair, validate against the schema, map failures to Apple errors."""
        pairs = query.pairs
        document: dict[str, Any] = {}
        repeated: list[str] = []
        for key, value in pairs:
            is_list = key == "ids" or key.startswith("ids[")
            items = (value.split(",") if value else []) if is_list else value
            if key not in document:
                document[key] = items
            else:
                repeated.append(key)
                if is_list:
                    document[key] = document[key] + items
        language = document.get("l")
        if isinstance(language, str) and ignored_language(self.settings, language):
            del document["l"]
        failure = self._first_failure(document, repeated)
        if failure is not None:
            return failure
        return self._accept(document)

    def _first_failure(self, document: dict[str, Any], repeated: list[str]) -> AppleError | None:
        # Unknown names first, then repeated keys, then bad values (in query order), then
        # what is missing altogether.
        order = {key: index for index, key in enumerate(document)}
        ranked: list[tuple[int, int, AppleError]] = []
        # Only an element's emptiness can fail (the schema's idElement), and only the first
        # empty one is reported: validate lists cut after it, so thousands of elements cost
        # one error, not thousands.
        checked = {
            key: (value[: value.index("") + 1] if "" in value else value[:1])
            if isinstance(value, list)
            else value
            for key, value in document.items()
        }
        for error in self.validator.iter_errors(checked):
            apple = to_apple_error(error)
            if not error.path:
                ranked.append((3, 0, apple))
            else:
                rank = 0 if apple.code == "40004" else 2
                ranked.append((rank, order.get(str(error.path[0]), 0), apple))
        if repeated and self.settings.repeated_keys == "reject":
            key = repeated[0]
            detail = f"Parameter '{clip(key)}' must not be repeated"
            ranked.append((1, order[key], AppleError(400, "40005", detail, key)))
        if not ranked:
            return None
        if any(
            rank < 3 and (error.parameter or "").startswith("ids") for rank, _, error in ranked
        ):
            ranked = [item for item in ranked if item[0] < 3]  # "no ids" is that problem again
        ranked.sort(key=lambda item: item[:2])
        return with_more([error for _, _, error in ranked], self.settings)

    def _accept(self, document: dict[str, Any]) -> ParsedQuery | AppleError:
        ids: dict[str, tuple[str, ...]] = {}
        addable: dict[str, tuple[str, ...]] = {}
        ignored: list[IgnoredId] = []
        for key, value in document.items():
            if not key.startswith("ids["):
                continue
            type_ = key[4:-1]
            ids[type_] = everything = tuple(value)
            catalog_shape = self.shapes.catalog[type_].match
            if all(map(catalog_shape, everything)):  # the usual case: every id addable
                addable[type_] = everything
                continue
            accepted = []
            for id_ in value:
                kind = self.shapes.classify(type_, id_)
                if kind == "catalog":
                    accepted.append(id_)
                    continue
                policy = (
                    self.settings.library_ids
                    if kind == "library"
                    else self.settings.wrong_shape_ids
                )
                if policy == "reject":
                    return AppleError(400, "40005", self._shape_detail(key, type_, id_, kind), key)
                ignored.append(IgnoredId(type_, id_, kind))
            addable[type_] = tuple(accepted)
        language = document.get("l")
        if language is not None and language not in self.supported_languages:
            if self.settings.unsupported_language == "reject":
                supported = ", ".join(sorted(self.supported_languages))
                detail = (
                    f"Language '{clip(language)}' is not supported by storefront "
                    f"'{self.settings.storefront}' (supported: {supported})"
                )
                return AppleError(400, "40005", detail, "l")
            language = None
        return ParsedQuery(
            ids=ids,
            addable=addable,
            ignored=tuple(ignored),
            language=language or self.default_language,
        )

    def _shape_detail(self, key: str, type_: str, id_: str, kind: IdKind) -> str:
        if kind == "library":
            return f"Id '{clip(id_)}' in '{key}' is a library id, not a catalog id"
        return (
            f"Id '{clip(id_)}' in '{key}' is not a valid catalog id for {type_}: "
            f"{self.shapes.descriptions[type_]}"
        )
