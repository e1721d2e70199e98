"""The JSON Schemas: checked at load, driven by example documents, compiled once."""

from __future__ import annotations

import builtins
import json
import pathlib
from typing import Any

import pytest
from openapi_spec_validator import validate

from mockserver import create_app
from mockserver.schemas import SCHEMA_BASE, check_documents, load_schemas, schema_dir

from support import AsgiCaller

EXAMPLES: dict[str, tuple[list[Any], list[Any]]] = {
    "query.schema.json": (
        [
            {"ids[songs]": ["1"]},
            {"ids[albums]": ["1", "2"], "ids[playlists]": ["pl.x"], "l": "zh-Hans-CN"},
        ],
        [
            {},
            {"l": "en-US"},
            {"ids": ["1"], "ids[songs]": ["1"]},
            {"ids[songs]": []},
            {"ids[songs]": ["1", ""]},
            {"ids[artists]": ["1"]},
            {"ids[songs]": ["1"], "foo": "1"},
            {"ids[songs]": ["1"], "l": "en_US"},
            {"ids[songs]": ["1"], "representation": "ids"},
        ],
    ),
    "headers.schema.json": (
        [{"authorization": "Bearer a.b.c", "music-user-token": "x"}],
        [
            {"music-user-token": "x"},
            {"authorization": "Bearer a.b.c"},
            {"authorization": "Basic abc", "music-user-token": "x"},
            {"authorization": "Bearer a.b.c", "music-user-token": ""},
        ],
    ),
    "jwt-header.schema.json": (
        [
            {"alg": "ES256", "kid": "ABCDEFGHIJ"},
            {"alg": "ES256", "kid": "ABCDEFGHIJ", "typ": "JWT"},
        ],
        [{"alg": "RS256", "kid": "ABCDEFGHIJ"}, {"alg": "ES256"}, {"alg": "ES256", "kid": "ABC"}],
    ),
    "jwt-claims.schema.json": (
        [
            {"iss": "ABCDEFGHIJ", "iat": 1, "exp": 2},
            {"iss": "ABCDEFGHIJ", "iat": 1, "exp": 2, "origin": ["https://a.example"]},
        ],
        [
            {"iss": "ABC", "iat": 1, "exp": 2},
            {"iss": "ABCDEFGHIJ", "iat": "1", "exp": 2},
            {"iss": "ABCDEFGHIJ", "iat": 1},
            {"iss": "ABCDEFGHIJ", "iat": 1, "exp": 2, "origin": []},
        ],
    ),
    "errors.schema.json": (
        [
            {
                "errors": [
                    {
                        "id": "4QLNLJNVN4U4CEFQT2UYAHPYMA",
                        "title": "T",
                        "status": "400",
                        "code": "40005",
                    }
                ]
            },
            {
                "errors": [
                    {
                        "title": "Too Many Requests",
                        "detail": "Request is forbidden",
                        "status": "429",
                        "code": "42900",
                    }
                ]
            },
        ],
        [
            {"errors": []},
            {"errors": [{"title": "T", "status": 400, "code": "40005"}]},
            {"errors": [{"title": "T", "status": "400", "code": 40005}]},
            {"errors": [{"id": "lower", "title": "T", "status": "400", "code": "40005"}]},
        ],
    ),
    "config.schema.json": (
        [{}, {"repeated_keys": "reject", "max_target_length": 100, "known_user_tokens": None}],
        [
            {"repeated_keys": "sometimes"},
            {"nope": 1},
            {"max_target_length": 1},
            {"tolerated_parameters": ["l"]},
            {"check_order": ["query"]},
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_valid_examples_pass(name: str) -> None:
    validator = load_schemas().validator(name)
    for document in EXAMPLES[name][0]:
        validator.validate(document)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_invalid_examples_fail(name: str) -> None:
    validator = load_schemas().validator(name)
    for document in EXAMPLES[name][1]:
        assert not validator.is_valid(document), document


def test_every_schema_file_is_loaded_and_has_its_id() -> None:
    schemas = load_schemas()
    files = sorted(p.name for p in schema_dir().glob("*.json"))
    assert sorted(schemas.documents) == files
    for name, document in schemas.documents.items():
        if name != "openapi.json":
            assert document["$id"] == SCHEMA_BASE + name


def test_every_shipped_schema_is_a_valid_json_schema() -> None:
    """What start-up no longer checks (it cost most of a cold start): the suite does."""
    check_documents(load_schemas())


def test_a_broken_schema_is_refused_at_load(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.schema.json").write_text(json.dumps({"type": "nonsense"}))
    with pytest.raises(Exception, match="nonsense"):
        load_schemas.__wrapped__(tmp_path)


def test_the_served_openapi_document_is_valid_and_self_contained() -> None:
    document = load_schemas().bundled_openapi()
    validate(document)
    text = json.dumps(document)
    assert SCHEMA_BASE not in text
    assert {"errors", "query", "headers"} <= set(document["components"]["schemas"])


def test_openapi_is_served(auth_headers: dict[str, str]) -> None:
    reply = AsgiCaller(create_app(), auth_headers)("/openapi.json", method="GET")
    assert reply.status == 200
    assert reply.json()["paths"]["/v1/me/library"]["post"]["operationId"] == "addResourceToLibrary"


def test_request_path_compiles_nothing_and_reads_no_file(
    monkeypatch: pytest.MonkeyPatch, auth_headers: dict[str, str]
) -> None:
    app = create_app(developer_keys=[], tolerated_parameters=["extra"])
    call = AsgiCaller(app, auth_headers)
    call("/v1/me/library?ids[songs]=1")  # warm-up
    schemas = load_schemas()
    compiled = schemas.compiled

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"file I/O on the request path: {args}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(pathlib.Path, "read_text", refuse)
    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)
    for target in [
        "/v1/me/library?ids[songs]=1,2",
        "/v1/me/library?ids[artists]=1",
        "/v1/me/library?ids[songs]=&extra=1",
        "/v1/me/library?foo=1",
        "/nope",
        "/openapi.json",
    ]:
        call(target)
    call("/v1/me/library?ids[songs]=1", headers={"Authorization": "Bearer x.y.z"})
    assert schemas.compiled == compiled


def test_query_validators_are_shared_between_apps() -> None:
    schemas = load_schemas()
    create_app(tolerated_parameters=["a", "b"])
    compiled = schemas.compiled
    create_app(tolerated_parameters=["b", "a"])
    assert schemas.compiled == compiled
