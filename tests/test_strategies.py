"""Hypothesis strategies (pytest_plugin/strategies.py): properties against the fake and the
JSON Schemas."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver import (
    Settings,
    create_app,
    generate_private_key,
    mint_developer_token,
    public_key_pem,
)
from mockserver.auth import DeveloperTokenVerifier, Rejection
from mockserver.clock import SystemClock
from mockserver.query import ParsedQuery, QueryParser
from mockserver.schemas import load_schemas
from mockserver.wire import Query
from pytest_plugin.strategies import (
    ENCODINGS,
    Behaviour,
    behaviours,
    catalog_ids,
    developer_tokens,
    id_groups,
    invalid_developer_tokens,
    invalid_library_add_queries,
    language_tags,
    library_add_queries,
    library_ids,
    malformed_ids,
    music_user_tokens,
    storefronts,
)

from support import call_asgi

TYPES = ["albums", "songs", "music-videos", "playlists"]
KEY = generate_private_key()
APP = create_app(developer_keys=[public_key_pem(KEY)])
SCHEMAS = load_schemas()
VALID = mint_developer_token(KEY, lifetime=24 * 3600)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def post(
    query: str, *, authorization: str, user: str = "prop-user", origin: str | None = None
) -> Any:
    headers = [
        (b"authorization", f"Bearer {authorization}".encode()),
        (b"music-user-token", user.encode()),
    ]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return call_asgi(
        APP, "POST", "/v1/me/library?" + query if query else "/v1/me/library", headers
    )


# --- properties against the fake ----------------------------------------------------------------


@FAST
@given(library_add_queries(id_groups(ignored=True)))
def test_valid_queries_parse_to_their_group_and_add_exactly_the_addable_ids(case: Any) -> None:
    APP.mock.reset()
    parsed = QueryParser(Settings(), SCHEMAS).parse(Query(case.query.encode()))
    assert isinstance(parsed, ParsedQuery), parsed
    assert {t: list(ids) for t, ids in parsed.ids.items()} == case.group
    reply = post(case.query, authorization=VALID)
    assert reply.status == 202, reply
    library = APP.mock.get_library("prop-user")
    for type_, ids in case.group.items():
        addable = [
            i
            for i in ids
            if SCHEMAS.validator("ids.schema.json#/$defs/catalog/properties/" + type_).is_valid(i)
        ]
        assert [item["catalog_id"] for item in library[type_]] == addable


@FAST
@given(invalid_library_add_queries())
def test_invalid_queries_get_exactly_the_predicted_refusal(case: Any) -> None:
    reply = post(case.query, authorization=VALID)
    assert reply.status == case.status, (case, reply)
    error = reply.error
    assert error["code"] == case.code
    assert error.get("source", {}).get("parameter") == case.parameter


@FAST
@given(developer_tokens(KEY), music_user_tokens())
def test_every_valid_token_passes(token: str, user: str) -> None:
    assert post("ids[songs]=1", authorization=token, user=user).status == 202


@FAST
@given(invalid_developer_tokens(KEY))
def test_every_invalid_token_gets_401_for_its_reason(case: tuple[str, str]) -> None:
    token, reason = case
    reply = post("ids[songs]=1", authorization=token)
    assert (reply.status, reply.body) == (401, b"")
    verifier = DeveloperTokenVerifier(
        Settings(developer_keys=[public_key_pem(KEY)]), SCHEMAS, SystemClock()
    )
    result = verifier.check(f"Bearer {token}", None)
    assert isinstance(result, Rejection)
    assert result.reason == reason


# --- generated data against the JSON Schemas ----------------------------------------------------


@FAST
@given(
    st.sampled_from(TYPES).flatmap(
        lambda t: st.tuples(st.just(t), catalog_ids(t), library_ids(t), malformed_ids(t))
    )
)
def test_ids_match_the_schema_shapes_as_intended(case: tuple[str, str, str, str]) -> None:
    type_, catalog, library, malformed = case
    catalog_shape = SCHEMAS.validator("ids.schema.json#/$defs/catalog/properties/" + type_)
    library_shape = SCHEMAS.validator("ids.schema.json#/$defs/library")
    assert catalog_shape.is_valid(catalog)
    assert library_shape.is_valid(library)
    assert not catalog_shape.is_valid(library)
    assert not catalog_shape.is_valid(malformed)
    assert not library_shape.is_valid(malformed)


def _document(query: str) -> dict[str, Any]:
    from mockserver.wire import decode_query

    document: dict[str, Any] = {}
    for key, value in decode_query(query.encode()):
        items: Any = (value.split(",") if value else []) if key.startswith("ids") else value
        document[key] = (
            document.get(key, []) + items if key in document and key.startswith("ids") else items
        )
    return document


@FAST
@given(library_add_queries(id_groups(ignored=True), extras=True), invalid_library_add_queries())
def test_queries_validate_or_fail_against_the_query_schema(valid: Any, invalid: Any) -> None:
    validator = SCHEMAS.query_validator(["representation", "format[resources]"])
    assert validator.is_valid(_document(valid.query))
    if invalid.status == 400:
        assert not validator.is_valid(_document(invalid.query))


def _segments(token: str) -> tuple[Any, Any]:
    def decode(part: str) -> Any:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    header, claims, _ = token.split(".")
    return decode(header), decode(claims)


@FAST
@given(developer_tokens(KEY), invalid_developer_tokens(KEY))
def test_tokens_validate_or_fail_against_the_jwt_schemas(
    valid: str, invalid: tuple[str, str]
) -> None:
    header, claims = _segments(valid)
    assert SCHEMAS.validator("jwt-header.schema.json").is_valid(header)
    assert SCHEMAS.validator("jwt-claims.schema.json").is_valid(claims)
    token, reason = invalid
    if reason in ("alg", "kid"):
        assert not SCHEMAS.validator("jwt-header.schema.json").is_valid(_segments(token)[0])
    if reason == "iss":
        assert not SCHEMAS.validator("jwt-claims.schema.json").is_valid(_segments(token)[1])


@FAST
@given(storefronts().flatmap(lambda s: st.tuples(st.just(s), language_tags(s))))
def test_language_tags_are_supported_by_their_storefront(case: tuple[str, str]) -> None:
    storefront, tag = case
    assert tag in Settings(storefront=storefront).supported_languages


# --- behaviours ---------------------------------------------------------------------------------


@FAST
@given(behaviours(visibility=True))
def test_behaviours_install_on_a_controller(behaviour: Behaviour) -> None:
    app = create_app()
    behaviour.install(app.mock)
    assert app.mock.settings.drop_rate == behaviour.drop_rate
    rules = app.mock.list_rules()
    assert len(rules) == (1 if behaviour.steps else 0)
    if rules:
        assert rules[0]["sequence"] == list(behaviour.steps)


# --- shrinking and arguments ----------------------------------------------------------------------


def test_groups_shrink_to_one_type_with_one_id() -> None:
    minimal = find(id_groups(), lambda group: True)
    assert sum(len(ids) for ids in minimal.values()) == 1
    assert list(minimal.values()) == [["1"]]


def test_a_failing_property_shrinks_to_a_one_id_group() -> None:
    # "the client may send at most zero ids" fails for every group; the minimal counterexample is the smallest group.
    minimal = find(
        library_add_queries(id_groups()), lambda case: sum(len(v) for v in case.group.values()) > 0
    )
    assert sum(len(v) for v in minimal.group.values()) == 1
    assert minimal.encoding == ENCODINGS[0]
    assert minimal.language is None


def test_behaviours_shrink_to_no_misbehaviour() -> None:
    assert find(behaviours(), lambda b: True) == Behaviour(seed=0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: catalog_ids("artists"), "type='artists' must be one of"),
        (lambda: library_ids(3), "type=3 must be one of"),  # type: ignore[arg-type]  # wrong types on purpose
        (lambda: id_groups([]), "types=[] must be a non-empty sequence"),
        (lambda: id_groups("songs"), "types='songs' must be a non-empty sequence"),
        (lambda: id_groups(["stations"]), "types item='stations'"),
        (lambda: id_groups(min_size=0), "min_size=0 must be an integer >= 1"),
        (lambda: id_groups(min_size=3, max_size=2), "max_size=2 must be an integer >= min_size=3"),
        (lambda: library_add_queries(encodings=["base64"]), "encodings item='base64'"),
        (lambda: library_add_queries(id_groups(), storefront="fr"), "storefront='fr'"),
        (lambda: library_add_queries({"songs": ["1"]}), "must be a strategy"),  # type: ignore[arg-type]  # wrong types on purpose
        (lambda: invalid_library_add_queries(max_target_length=5), "max_target_length=5"),
        (lambda: developer_tokens(min_lifetime=10, max_lifetime=5), "min_lifetime=10"),
        (lambda: developer_tokens("key"), "must be an EC private key"),  # type: ignore[arg-type]  # wrong types on purpose
        (lambda: behaviours(statuses=[302]), "statuses item 302"),
        (lambda: behaviours(max_steps=-1), "max_steps=-1"),
        (lambda: language_tags("xx"), "storefront='xx'"),
    ],
)
def test_arguments_are_validated(make: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_importing_the_plugin_does_not_import_hypothesis() -> None:
    import subprocess
    import sys

    code = "import sys, pytest_plugin, pytest_plugin.plugin, mockserver; print('hypothesis' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
