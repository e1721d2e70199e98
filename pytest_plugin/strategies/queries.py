"""Queries of ``POST /v1/me/library`` in every wire form, valid and invalid, and ``l``."""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import NamedTuple
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.config import DEFAULT_LANGUAGES
from mockserver.ids import RESOURCE_TYPES
from mockserver.schemas import load_schemas

from ._checks import check_type
from .ids import catalog_ids, id_groups

__all__ = [
    "ENCODINGS",
    "InvalidQuery",
    "LibraryAddQuery",
    "invalid_library_add_queries",
    "language_tags",
    "library_add_queries",
    "storefronts",
]

#: The wire encodings real clients produce (README, "What the fake checks").
ENCODINGS = ("raw", "encoded_keys", "encoded_all", "repeated_keys")

_TOLERATED = tuple(
    load_schemas().document("config.schema.json")["properties"]["tolerated_parameters"]["default"]
)


class LibraryAddQuery(NamedTuple):
    """A query string a client may send for ``group``, and how it was encoded."""

    query: str
    group: dict[str, list[str]]
    encoding: str
    language: str | None


def _render(
    group: Mapping[str, Sequence[str]], encoding: str, extras: Sequence[tuple[str, str]]
) -> str:
    parts: list[str] = []
    for type_, ids in group.items():
        key = f"ids[{type_}]" if encoding == "raw" else f"ids%5B{type_}%5D"
        if encoding == "repeated_keys":
            parts += [f"{key}={quote(i, safe='')}" for i in ids]
        elif encoding == "encoded_all":
            parts.append(f"{key}={quote(','.join(ids), safe='')}")
        else:
            parts.append(f"{key}={','.join(quote(i, safe='') for i in ids)}")
    parts += [
        f"{quote(k, safe='[]' if encoding == 'raw' else '')}={quote(v, safe='')}"
        for k, v in extras
    ]
    return "&".join(parts)


def language_tags(storefront: str = "us") -> st.SearchStrategy[str]:
    """Language tags the storefront supports (``l``), its default first (shrinks to it)."""
    check_type(storefront, list(DEFAULT_LANGUAGES), "storefront")
    entry = DEFAULT_LANGUAGES[storefront]
    tags = [entry["default"], *(t for t in entry["supported"] if t != entry["default"])]
    return st.sampled_from(tags)


def storefronts() -> st.SearchStrategy[str]:
    """Storefronts whose languages the fake knows by default."""
    return st.sampled_from(sorted(DEFAULT_LANGUAGES))


def library_add_queries(
    groups: st.SearchStrategy[dict[str, list[str]]] | None = None,
    *,
    encodings: Sequence[str] = ENCODINGS,
    storefront: str = "us",
    extras: bool = False,
) -> st.SearchStrategy[LibraryAddQuery]:
    """Queries for ``POST /v1/me/library`` rendering a group in each wire encoding of
    the README (raw, percent-encoded keys, encoded commas, repeated keys), with an
    optional ``l`` and, with ``extras=True``, the web player's tolerated parameters.
    Shrinks to the raw encoding of a one-id group without ``l``."""
    if groups is None:
        groups = id_groups()
    if not isinstance(groups, st.SearchStrategy):
        raise InvalidArgument(f"groups={groups!r} must be a strategy such as id_groups()")
    if isinstance(encodings, str) or not encodings:
        raise InvalidArgument(f"encodings={encodings!r} must be a non-empty sequence")
    for encoding in encodings:
        check_type(encoding, ENCODINGS, "encodings item")
    languages = language_tags(storefront)

    @st.composite
    def build(draw: st.DrawFn) -> LibraryAddQuery:
        group = draw(groups)
        encoding = draw(st.sampled_from(list(encodings)))
        language = draw(st.none() | languages)
        pairs: list[tuple[str, str]] = [] if language is None else [("l", language)]
        if extras:
            pairs += draw(
                st.lists(
                    st.sampled_from(
                        [(n, "ids" if n == "representation" else "map") for n in _TOLERATED]
                    ),
                    unique=True,
                )
            )
        return LibraryAddQuery(_render(group, encoding, pairs), group, encoding, language)

    return build()


class InvalidQuery(NamedTuple):
    """A query the fake must refuse, with the refusal the schema predicts."""

    query: str
    status: int
    code: str
    parameter: str | None
    rule: str


_word = st.text(string.ascii_lowercase, min_size=1, max_size=10)
_unknown_types = _word.filter(lambda w: w not in RESOURCE_TYPES)
_unknown_parameters = _word.filter(lambda w: w not in {"ids", "l", *_TOLERATED})


def invalid_library_add_queries(
    *, max_target_length: int = 8192
) -> st.SearchStrategy[InvalidQuery]:
    """Queries that break one rule of ``schemas/query.schema.json`` (or the target-length
    limit), each with the status, code and parameter the fake answers. Rules: unknown type,
    unknown parameter, empty list, empty element, bare ``ids``, no ids at all, oversized
    target. Valid parts may surround the broken one; shrinks to the bare broken parameter.
    The predicted error is the first of the answer's errors (with ``errors_per_answer =
    "all"`` an answer may carry more)."""
    if not isinstance(max_target_length, int) or max_target_length < 32:
        raise InvalidArgument(f"max_target_length={max_target_length!r} must be an integer >= 32")
    valid = library_add_queries(id_groups(max_size=3), encodings=("raw", "encoded_keys"))

    @st.composite
    def build(draw: st.DrawFn) -> InvalidQuery:
        rule = draw(
            st.sampled_from(
                [
                    "unknown_type",
                    "unknown_parameter",
                    "empty_list",
                    "empty_element",
                    "bare_ids",
                    "missing_ids",
                    "oversized",
                ]
            )
        )
        prefix = draw(st.none() | valid)
        lead = [prefix.query] if prefix is not None else []
        if rule == "unknown_type":
            type_ = draw(_unknown_types)
            return InvalidQuery(
                "&".join([*lead, f"ids[{type_}]=1"]), 400, "40004", f"ids[{type_}]", rule
            )
        if rule == "unknown_parameter":
            name = draw(_unknown_parameters)
            return InvalidQuery("&".join([*lead, f"{name}=1"]), 400, "40004", name, rule)
        if rule == "bare_ids":
            return InvalidQuery("&".join([*lead, "ids=1"]), 400, "40005", "ids", rule)
        if rule == "missing_ids":
            language = draw(st.none() | language_tags())
            return InvalidQuery(
                "" if language is None else f"l={language}", 400, "40005", "ids", rule
            )
        if rule == "oversized":
            many = ",".join(str(10**9 + n) for n in range(max_target_length // 11 + 2))
            return InvalidQuery(f"ids[songs]={many}", 414, "41400", None, rule)
        # empty list / empty element, in a type the valid prefix does not use
        used = set(prefix.group) if prefix is not None else set()
        free = [t for t in RESOURCE_TYPES if t not in used]
        if not free:  # the prefix uses every type: break one on its own
            lead, free = [], list(RESOURCE_TYPES)
        type_ = draw(st.sampled_from(free))
        if rule == "empty_list":
            value = ""
        else:
            ids = draw(st.lists(catalog_ids(type_), min_size=1, max_size=3))
            position = draw(st.integers(0, len(ids)))
            value = ",".join([*ids[:position], "", *ids[position:]])
        return InvalidQuery(
            "&".join([*lead, f"ids[{type_}]={value}"]), 400, "40005", f"ids[{type_}]", rule
        )

    return build()
