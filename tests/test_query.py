"""Raw query -> ids: decoding, merging, classification (mockserver/query.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver import Settings
from mockserver.errors import AppleError
from mockserver.ids import IdShapes
from mockserver.query import ParsedQuery, QueryParser
from mockserver.schemas import load_schemas
from mockserver.wire import Query, decode_query
from pytest_plugin.strategies import (
    id_groups,
    invalid_library_add_queries,
    library_add_queries,
)

from support import QUERY_FRAGMENTS


def parse(raw: str, **settings: Any) -> ParsedQuery | AppleError:
    return QueryParser(Settings(**settings), load_schemas()).parse(Query(raw.encode("latin-1")))


def parsed(raw: str, **settings: Any) -> ParsedQuery:
    result = parse(raw, **settings)
    assert isinstance(result, ParsedQuery), result
    return result


@pytest.mark.parametrize(
    "raw",
    [
        "ids%5Bsongs%5D=1%2C2",
        "ids%5Bsongs%5D=1,2",
        "ids[songs]=1,2",
        "ids%5Bsongs%5D=1&ids%5Bsongs%5D=2",
        "ids[songs]=1%2c2",
        "&ids[songs]=1,2&",
    ],
)
def test_every_wire_form_parses_to_the_same_ids(raw: str) -> None:
    result = parsed(raw)
    assert result.ids == {"songs": ("1", "2")}
    assert result.addable == {"songs": ("1", "2")}
    assert result.ignored == ()


def test_decode_query_keeps_order_and_decodes_both_parts() -> None:
    assert decode_query(b"ids%5Bsongs%5D=1%2C2&l=en-US&flag") == [
        ("ids[songs]", "1,2"),
        ("l", "en-US"),
        ("flag", ""),
    ]


def test_plus_is_a_space_and_invalid_utf8_is_replaced() -> None:
    assert decode_query(b"a=x+y&b=%FF") == [("a", "x y"), ("b", "\ufffd")]


def test_several_types_and_ignored_ids_with_reasons() -> None:
    result = parsed(
        "ids[songs]=1564531202,i.gelNOzPuL41Lxo,abc&ids[playlists]=pl.u-06oxDj6to1qMmx,123"
    )
    assert result.addable == {"songs": ("1564531202",), "playlists": ("pl.u-06oxDj6to1qMmx",)}
    assert [(i.type, i.id, i.reason) for i in result.ignored] == [
        ("songs", "i.gelNOzPuL41Lxo", "library"),
        ("songs", "abc", "wrong-shape"),
        ("playlists", "123", "wrong-shape"),
    ]


def test_language_falls_back_to_the_storefront_default() -> None:
    assert parsed("ids[songs]=1").language == "en-US"
    assert parsed("ids[songs]=1&l=es-MX").language == "es-MX"
    assert parsed("ids[songs]=1&l=fr-FR").language == "en-US"
    assert parsed("ids[songs]=1", storefront="jp").language == "ja"


def test_repeated_language_keeps_the_first() -> None:
    assert parsed("ids[songs]=1&l=ru&l=ar").language == "ru"


def test_custom_storefront_languages() -> None:
    languages = {"fr": {"default": "fr-FR", "supported": ["fr-FR", "en-GB"]}}
    result = parsed("ids[songs]=1&l=en-GB", storefront="fr", languages=languages)
    assert result.language == "en-GB"


@pytest.mark.parametrize(
    ("type_", "id_", "kind"),
    [
        ("songs", "1564531202", "catalog"),
        ("albums", "1577502911", "catalog"),
        ("music-videos", "267079116", "catalog"),
        ("playlists", "pl.cb4d1c09a2df4230a78d0395fe1f8fde", "catalog"),
        ("playlists", "pl.u-06oxDj6to1qMmx", "catalog"),
        ("playlists", "pl.pm-abc123XYZ", "catalog"),
        ("playlists", "pl.CB4D1C09A2DF4230A78D0395FE1F8FDE", "wrong-shape"),
        ("playlists", "pl.cb4d", "wrong-shape"),
        ("songs", "pl.cb4d1c09a2df4230a78d0395fe1f8fde", "wrong-shape"),
        ("songs", "i.gelNOzPuL41Lxo", "library"),
        ("albums", "l.NWqWi1m", "library"),
        ("playlists", "p.ldvAAZ3C3Qmop9", "library"),
        ("songs", "r.abc", "library"),
        ("songs", "12a", "wrong-shape"),
        ("songs", " 1", "wrong-shape"),
    ],
)
def test_id_shapes_come_from_the_schema(type_: str, id_: str, kind: str) -> None:
    assert IdShapes().classify(type_, id_) == kind


@pytest.mark.parametrize(
    ("raw", "code", "parameter"),
    [
        ("foo=1&ids[artists]=1", "40004", "foo"),
        ("ids[artists]=1&foo=1", "40004", "ids[artists]"),
        ("ids=1&ids[songs]=1", "40005", "ids"),
        ("ids[songs]=1&ids[albums]=", "40005", "ids[albums]"),
        ("ids[songs]=&ids[albums]=", "40005", "ids[songs]"),
        ("ids[]=1", "40004", "ids[]"),
        ("ids[songs=1", "40004", "ids[songs"),
        ("ids[songs][0]=1", "40004", "ids[songs][0]"),
        ("IDS[songs]=1", "40004", "IDS[songs]"),
        ("=1&ids[songs]=1", "40004", ""),
    ],
)
def test_first_failure_in_query_order(raw: str, code: str, parameter: str) -> None:
    result = parse(raw)
    assert isinstance(result, AppleError)
    assert (result.status, result.code, result.parameter) == (400, code, parameter)


def test_repeated_keys_rank_after_unknown_names_and_before_values() -> None:
    rejecting = {"repeated_keys": "reject"}
    result = parse("ids[songs]=1&ids[songs]=2&foo=1", **rejecting)
    assert isinstance(result, AppleError)
    assert result.parameter == "foo"
    result = parse("ids[albums]=&ids[songs]=1&ids[songs]=2", **rejecting)
    assert isinstance(result, AppleError)
    assert (result.code, result.parameter) == ("40005", "ids[songs]")


def test_long_values_are_clipped_in_details() -> None:
    result = parse("ids[songs]=" + "x" * 500, wrong_shape_ids="reject")
    assert isinstance(result, AppleError)
    assert result.detail is not None
    assert len(result.detail) < 300


# --- the fast path agrees with the schema ---------------------------------------------------------

_QUERIES = st.one_of(
    library_add_queries(id_groups(ignored=True), extras=True).map(lambda q: q.query),
    invalid_library_add_queries().map(lambda q: q.query),
    st.lists(QUERY_FRAGMENTS, max_size=25).map("".join),
)
_PARSERS = [
    QueryParser(Settings(**changes), load_schemas())
    for changes in (
        {},
        {"repeated_keys": "reject"},
        {"wrong_shape_ids": "reject", "library_ids": "reject"},
        {"unsupported_language": "reject", "tolerated_parameters": []},
    )
]


@settings(max_examples=400, deadline=None)
@given(_QUERIES, st.sampled_from(_PARSERS))
def test_fast_path_agrees_with_the_schema(query: str, parser: QueryParser) -> None:
    raw = query.encode("utf-8")
    fast = parser.parse_fast(Query(raw))
    if fast is not None:
        assert fast == parser.parse_with_schema(Query(raw))


def test_fast_path_takes_the_common_shapes() -> None:
    parser = _PARSERS[0]
    for raw in (
        b"ids[songs]=1,2",
        b"ids%5Bsongs%5D=1%2C2&l=en-US",
        b"ids%5Bsongs%5D=1&ids%5Bsongs%5D=2&representation=ids",
    ):
        assert parser.parse_fast(Query(raw)) is not None
    for raw in (
        b"ids[songs]=",
        b"ids[songs]=1&foo=1",
        b"ids[songs]=a+b",
        b"ids[songs]=%31",
        b"l=en-US",
    ):
        assert parser.parse_fast(Query(raw)) is None
