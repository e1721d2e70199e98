"""The catalog routes in the OpenAPI document (``schemas/openapi.json``): every route the fake
serves is documented, the catalog operations with every status they answer, their bodies
match the documented schemas, and Schemathesis finds nothing on them (nor on the user's
storefront and the library playlists' own routes) against a configured catalog (25 examples per Apple operation by default; 200 under ``--reliability-full``)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok

from mockserver import create_app
from mockserver.admin import ADMIN_ROUTES
from mockserver.catalog import CATALOG_TYPES
from mockserver.endpoints import LIBRARY_ENDPOINTS
from mockserver.schemas import load_schemas

from support import AsgiCaller, Reply

EXT = "x-apple-music-mock"
#: Ids Hypothesis likes to generate ("0", "00"), so fuzzed lookups find something.
CATALOG: dict[str, Any] = {
    "songs": [
        {
            "id": "0",
            "attributes": {"name": "Zero", "artistName": "The Band", "isrc": "GBAAA0000001"},
            "relationships": {"albums": {"data": [{"id": "0", "type": "albums"}]}},
        },
        "1",
        "00",
        {"id": "2", "attributes": {"name": "Zero Hour"}, EXT: {"storefronts": ["gb"]}},
    ],
    "albums": ["0", {"id": "1", "attributes": {"name": "Zero", "artistName": "The Band"}}],
    "music-videos": [{"id": "0", "attributes": {"name": "Zero", "isrc": "GBAAA0000001"}}],
    "playlists": [
        "pl.0",
        "0",
        {
            "id": "1",
            "attributes": {"name": "Zero List"},
            "relationships": {
                "tracks": {
                    "data": [
                        {"id": "0", "type": "songs"},
                        {"id": "2", "type": "songs"},
                        {"id": "0", "type": "music-videos"},
                    ]
                }
            },
        },
    ],
    "artists": ["0"],
}
USER = "catalog-user"
CATALOG_PATHS = {
    "/v1/catalog/{storefront}/search": "searchCatalog",
    "/v1/catalog/{storefront}/{type}": "getCatalogResources",
    "/v1/catalog/{storefront}/{type}/{id}": "getCatalogResource",
    "/v1/catalog/{storefront}/{type}/{id}/library": "getCatalogResourceLibrary",
    "/v1/catalog/{storefront}/{type}/{id}/tracks": "getCatalogResourceTracks",
}
COMMON = {"200", "400", "401", "404", "414", "429", "4XX", "5XX"}
#: The statuses each catalog operation documents (403 where a user token can be needed).
STATUSES = {
    "searchCatalog": COMMON,
    "getCatalogResources": COMMON | {"403"},
    "getCatalogResource": COMMON | {"403"},
    "getCatalogResourceLibrary": COMMON | {"403"},
    "getCatalogResourceTracks": COMMON,
}
ADMIN_STATUSES = {"get": {"200", "400", "403"}, "put": {"200", "400", "403", "413"}}
ADMIN_STATUSES["patch"] = ADMIN_STATUSES["put"]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document as served at ``/openapi.json``."""
    reply = AsgiCaller(create_app(), {})("/openapi.json", method="GET")
    assert reply.status == 200
    served: dict[str, Any] = reply.json()
    return served


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or what its local ``$ref`` points to."""
    ref = node.get("$ref")
    if ref is None:
        return node
    assert ref.startswith("#/"), ref
    target: Any = document
    for part in ref[2:].split("/"):
        target = target[part]
    return dict(target)


def parameters(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """The operation's parameters by name, references resolved."""
    found = [resolve(document, p) for p in operation.get("parameters", [])]
    return {p["name"]: p for p in found}


def schema_ref(response: dict[str, Any]) -> str:
    return str(response["content"]["application/json"]["schema"]["$ref"])


# --- every route is documented --------------------------------------------------------------


def plain(template: str) -> str:
    """A route template as OpenAPI writes it: ``{type:songs|albums}`` -> ``{type}``."""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", template)


def test_every_apple_endpoint_is_documented_with_its_preflight(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for endpoint in LIBRARY_ENDPOINTS:
        item = paths.get(plain(endpoint.template))
        assert item is not None, endpoint.template
        operation = item.get(endpoint.method.lower())
        assert operation is not None, (endpoint.method, endpoint.template)
        assert operation["operationId"] == endpoint.operation
        assert "options" in item, endpoint.template  # CORS preflights are answered everywhere
        for name, parameter in parameters(document, operation).items():
            if parameter["in"] == "path":
                assert f"{{{name}}}" in plain(endpoint.template), (endpoint.template, name)


def test_every_admin_route_is_documented(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for route in ADMIN_ROUTES:
        path = "/_mock" + plain(route.path)
        assert path in paths, path
        served = {method.lower() for method in route.methods or ()} - {"head"}
        documented = {m for m in paths[path] if m in ("get", "put", "patch", "post", "delete")}
        assert served == documented, path


def test_head_is_left_implicit_as_elsewhere(document: dict[str, Any]) -> None:
    """HEAD is served wherever GET is; no path of the document lists it."""
    assert not any("head" in item for item in document["paths"].values())


# --- the catalog operations -----------------------------------------------------------------


@pytest.mark.parametrize(("path", "operation_id"), sorted(CATALOG_PATHS.items()))
def test_catalog_operation_documents_every_status(
    document: dict[str, Any], path: str, operation_id: str
) -> None:
    item = document["paths"][path]
    operation = item["get"]
    assert operation["operationId"] == operation_id
    assert set(operation["responses"]) == STATUSES[operation_id]
    for status, response in operation["responses"].items():
        assert response["description"], (path, status)
        if status not in ("200", "401"):
            assert schema_ref(response) == "#/components/schemas/errors", (path, status)
    assert item["options"]["operationId"].startswith("preflightCatalog")
    assert {"204", "405", "4XX", "5XX"} == set(item["options"]["responses"])
    assert item["options"]["security"] == [{}]


@pytest.mark.parametrize("path", sorted(CATALOG_PATHS))
def test_catalog_path_parameters(document: dict[str, Any], path: str) -> None:
    found = parameters(document, document["paths"][path]["get"])
    defaults = load_schemas().document("config.schema.json")["properties"]["storefronts"]
    assert found["storefront"]["in"] == "path"
    assert found["storefront"]["schema"]["enum"] == defaults["default"]
    if path.endswith("/tracks"):
        assert found["type"]["schema"]["enum"] == ["albums", "playlists"]
    elif "{type}" in path:
        assert found["type"]["schema"]["enum"] == list(CATALOG_TYPES)
    for name, parameter in found.items():
        if parameter["in"] == "query":
            schema = parameter["schema"]
            ref = schema["allOf"][0]["$ref"] if "allOf" in schema else schema["$ref"]
            assert ref.startswith("#/components/schemas/"), name
            assert parameter["description"], name


def test_catalog_security_and_user_token(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path in list(CATALOG_PATHS)[:3]:
        operation = paths[path]["get"]
        assert operation["security"] == [{"developerToken": []}], path
        token = parameters(document, operation).get("Music-User-Token")
        assert token is None or token["required"] is False, path
    library = paths["/v1/catalog/{storefront}/{type}/{id}/library"]["get"]
    assert library["security"] == [{"developerToken": [], "musicUserToken": []}]
    assert parameters(document, library)["Music-User-Token"]["required"] is True


def test_search_and_several_take_their_query(document: dict[str, Any]) -> None:
    paths = document["paths"]
    search = parameters(document, paths["/v1/catalog/{storefront}/search"]["get"])
    assert {name for name, p in search.items() if p.get("required")} == {
        "storefront",
        "term",
        "types",
    }
    assert {"limit", "offset", "l"} <= set(search)
    assert search["offset"]["schema"]["maximum"] == 999_999_999  # nine digits are read
    several = parameters(document, paths["/v1/catalog/{storefront}/{type}"]["get"])
    assert {"ids", "filter[isrc]", "include", "l"} <= set(several)
    assert not several["ids"]["required"]
    assert not several["filter[isrc]"]["required"]


def test_admin_catalog_is_documented(document: dict[str, Any]) -> None:
    item = document["paths"]["/_mock/catalog"]
    assert {m: o["operationId"] for m, o in item.items()} == {
        "get": "getCatalog",
        "put": "putCatalog",
        "patch": "patchCatalog",
    }
    for method, operation in item.items():
        assert set(operation["responses"]) == ADMIN_STATUSES[method], method
        assert operation["security"] == [{}, {"adminToken": []}]
        assert operation["tags"] == ["admin"]
        assert parameters(document, operation)["namespace"]["in"] == "query"
        assert (
            schema_ref(operation["responses"]["200"]) == "#/components/schemas/api/$defs/Catalog"
        )
    assert "requestBody" not in item["get"]
    assert schema_ref(item["put"]["requestBody"]) == "#/components/schemas/api/$defs/Catalog"
    assert schema_ref(item["patch"]["requestBody"]) == "#/components/schemas/catalog"


# --- the bodies match the documented schemas ------------------------------------------------


def body_validator(definition: str) -> Any:
    return load_schemas().validator(f"api.schema.json#/$defs/{definition}")


@pytest.fixture
def caller(dev_token: str) -> AsgiCaller:
    app = create_app(catalog=CATALOG, visibility_delay_seconds=0)
    caller = AsgiCaller(app, {"Authorization": f"Bearer {dev_token}"})
    added = caller("/v1/me/library?ids[songs]=0", headers={"Music-User-Token": USER})
    assert added.status == 202
    return caller


def answer(caller: AsgiCaller, target: str, status: int, user: bool = False) -> Reply:
    headers = {"Music-User-Token": USER} if user else None
    reply = caller(target, method="GET", headers=headers)
    assert reply.status == status, (target, reply.body[:300])
    return reply


@pytest.mark.parametrize(
    ("target", "definition", "count"),
    [
        ("/v1/catalog/us/songs/0", "CatalogResourcesResponse", 1),
        ("/v1/catalog/us/songs/0?include=library,albums", "CatalogResourcesResponse", 1),
        ("/v1/catalog/us/songs?ids=0,1,9,00", "CatalogResourcesResponse", 3),
        ("/v1/catalog/gb/songs?filter[isrc]=gbaaa0000001", "CatalogResourcesResponse", 1),
        ("/v1/catalog/us/albums?ids=9", "CatalogResourcesResponse", 0),
        ("/v1/catalog/us/songs/0/library", "LibraryResourcesResponse", 1),
        ("/v1/catalog/us/playlists/1", "CatalogResourcesResponse", 1),
        ("/v1/catalog/gb/playlists/1/tracks?limit=1", "CatalogTracksResponse", 1),
        ("/v1/catalog/us/songs?filter[equivalents]=2", "CatalogResourcesResponse", 0),
        ("/v1/catalog/gb/songs?filter[equivalents]=2,0", "CatalogResourcesResponse", 2),
    ],
)
def test_catalog_answers_match_their_schemas(
    caller: AsgiCaller, target: str, definition: str, count: int
) -> None:
    body = answer(caller, target, 200, user=True).json()
    body_validator(definition).validate(body)
    assert len(body["data"]) == count


def test_a_playlist_carries_its_tracks_available_in_the_storefront(caller: AsgiCaller) -> None:
    us = answer(caller, "/v1/catalog/us/playlists/1", 200).json()["data"][0]
    tracks = us["relationships"]["tracks"]
    assert [(t["type"], t["id"]) for t in tracks["data"]] == [
        ("songs", "0"),
        ("music-videos", "0"),
    ]
    assert tracks["href"] == "/v1/catalog/us/playlists/1/tracks"
    assert tracks["data"][0]["attributes"]["name"] == "Zero"  # full resources, not references
    page = answer(caller, "/v1/catalog/gb/playlists/1/tracks?limit=1&offset=1", 200).json()
    assert [t["id"] for t in page["data"]] == ["2"]
    assert page["next"] == "/v1/catalog/gb/playlists/1/tracks?offset=2&limit=1"
    assert page["meta"] == {"total": 3}


def test_map_form_search_answers_match_their_schema(caller: AsgiCaller) -> None:
    target = (
        "/v1/catalog/us/search?term=zero&types=songs,activities&format[resources]=map"
        "&platform=web&omit[resource]=autos&fields[artists]=url,name&limit[results:terms]=5"
    )
    body = answer(caller, target, 200).json()
    body_validator("SearchResponse").validate(body)
    references = body["results"]["songs"]["data"]
    assert references == [{"id": "0", "type": "songs", "href": "/v1/catalog/us/songs/0"}]
    assert body["resources"]["songs"]["0"]["attributes"]["name"] == "Zero"


def test_include_library_carries_the_library_copy(caller: AsgiCaller) -> None:
    body = answer(caller, "/v1/catalog/us/songs/0?include=library", 200, user=True).json()
    (copy,) = body["data"][0]["relationships"]["library"]["data"]
    body_validator("LibraryResource").validate(copy)


def test_search_answers_match_their_schema(caller: AsgiCaller) -> None:
    validator = body_validator("SearchResponse")
    found = answer(caller, "/v1/catalog/gb/search?term=zero&types=songs,albums&limit=1", 200)
    body = found.json()
    validator.validate(body)
    assert body["meta"]["results"]["order"] == ["songs", "albums"]
    assert "next" in body["results"]["songs"]
    none = answer(caller, "/v1/catalog/us/search?term=nothing&types=artists", 200).json()
    validator.validate(none)
    assert none["results"] == {}


@pytest.mark.parametrize(
    ("target", "status", "user"),
    [
        ("/v1/catalog/zz/songs/0", 400, False),  # unknown storefront: 40005 on storefront
        ("/v1/catalog/us/songs", 400, False),  # neither ids nor filter[isrc]
        ("/v1/catalog/us/albums?filter[isrc]=X", 400, False),
        ("/v1/catalog/us/songs?ids=0&include=library", 403, False),
        ("/v1/catalog/us/songs/0/library", 403, False),
        ("/v1/catalog/us/songs/9", 404, False),
        ("/v1/catalog/us/playlists/9/tracks", 404, False),
        ("/v1/catalog/us/playlists/1/tracks?limit=301", 400, False),
        ("/v1/catalog/us/artists?filter[equivalents]=0", 400, False),
        ("/v1/catalog/us/search?term=a&types=songs&format[resources]=list", 400, False),
        ("/v1/catalog/us/search?term=a&types=songs&platfrom=web", 400, False),
        ("/v1/catalog/gb/albums/1/library", 404, True),  # listed, not added
    ],
)
def test_refusals_are_documented_errors(
    caller: AsgiCaller, document: dict[str, Any], target: str, status: int, user: bool
) -> None:
    reply = answer(caller, target, status, user=user)
    load_schemas().validator("errors.schema.json").validate(reply.json())
    path = next(p for p in CATALOG_PATHS if matches(p, target.split("?")[0]))
    assert str(status) in document["paths"][path]["get"]["responses"]
    if target.startswith("/v1/catalog/zz/"):
        assert reply.json()["errors"][0]["source"] == {"parameter": "storefront"}


def matches(path: str, concrete: str) -> bool:
    template, parts = path.split("/"), concrete.split("/")
    return len(template) == len(parts) and all(
        t.startswith("{") or t == p for t, p in zip(template, parts, strict=True)
    )


def test_admin_catalog_answers_match_their_schema(caller: AsgiCaller) -> None:
    validator = body_validator("Catalog")
    for method, body in [("GET", b""), ("PATCH", b'{"albums": ["7"]}'), ("PUT", b"null")]:
        reply = caller("/_mock/catalog", method=method, body=body)
        assert reply.status == 200, reply.body
        validator.validate(reply.json())
    assert caller("/_mock/catalog", method="GET").json() is None


# --- Schemathesis -----------------------------------------------------------------------------

APP = create_app(catalog=CATALOG, visibility_delay_seconds=0)
BASELINE = APP.mock.settings
CONFIG = SchemathesisConfig.from_dict({"base-url": "http://127.0.0.1:8080"})  # loopback: admin
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG).include(
    path_regex="^/(v1/catalog|_mock/catalog|v1/me/storefront|v1/me/library/playlists)"
)
OPERATIONS = {
    result.ok().label: result.ok()
    for result in SCHEMA.get_all_operations()
    if isinstance(result, Ok)
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


def test_schemathesis_sees_every_catalog_operation() -> None:
    """The catalog's, the storefront's and the library playlists' own routes (the reads by
    type, playlists included, are fuzzed with the whole API in
    tests/reliability/test_schemathesis.py)."""
    assert len(OPERATIONS) == 20, sorted(OPERATIONS)
    assert {"GET /v1/me/storefront", "POST /v1/me/library/playlists"} <= set(OPERATIONS)
    assert "POST /v1/me/library/playlists/{id}/tracks" in OPERATIONS


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_schemathesis_finds_nothing(label: str, dev_token: str, reliability_full: bool) -> None:
    """Positive and negative cases, with a valid developer token and, half the time, the
    user who has a library copy of song 0: never a 5xx, every status, content type and body
    as documented. By default 25 cases per GET; preflights (trivial) and the admin operations
    (slow bodies to generate; tests/reliability fuzzes them too) get fewer."""
    operation = OPERATIONS[label]
    method, path = label.split(" ")
    small = 3 if path.startswith("/_mock/") else 25 if method == "GET" else 8
    examples = 200 if reliability_full else small
    mock = APP.mock
    AsgiCaller(APP, {"Authorization": f"Bearer {dev_token}"})(
        "/v1/me/library?ids[songs]=0", headers={"Music-User-Token": USER}
    )
    modes = [GenerationMode("positive"), GenerationMode("negative")]
    cases = st.one_of(*(operation.as_strategy(mode) for mode in modes))

    @given(case=cases, as_user=st.booleans())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case[Any], as_user: bool) -> None:
        if mock.settings != BASELINE:  # an earlier PUT or PATCH changed the catalog
            mock.configure(BASELINE)
        headers = {"Authorization": f"Bearer {dev_token}"}
        if as_user and case.headers and "Music-User-Token" in case.headers:
            headers["Music-User-Token"] = USER
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        assert response.status_code < 500, (label, response.content[:300])
        json.dumps([entry.to_json() for entry in mock.journal_entries(limit=3)])

    run()


def test_a_library_relationship_in_the_catalog_document_is_never_served(dev_token: str) -> None:
    """The ``library`` relationship is per user: one written into the catalog document is
    dropped; the other relationships come as the document gives them."""
    given = {
        "library": {"data": [{"id": "i.1", "type": "library-songs"}]},
        "albums": {"data": [{"id": "10", "type": "albums"}]},
    }
    app = create_app(catalog={"songs": [{"id": "1", "relationships": given}]})
    caller = AsgiCaller(app, {"Authorization": f"Bearer {dev_token}"})
    body = answer(caller, "/v1/catalog/us/songs/1", 200).json()
    assert body["data"][0]["relationships"] == {"albums": given["albums"]}
    body_validator("CatalogResourcesResponse").validate(body)
