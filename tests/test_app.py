"""The add endpoint through the whole app (README, "What the fake checks"), in-process and on a
live uvicorn server."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from support import JSON_UTF8, SONGS, Caller, Serve, assert_error

# --- §3 success -------------------------------------------------------------------------


def test_success_is_202_with_empty_json_body(call: Caller) -> None:
    reply = call(SONGS)
    assert reply.status == 202
    assert reply.body == b""
    assert reply.headers["content-length"] == "0"
    assert reply.headers["content-type"] == JSON_UTF8


def test_success_content_type_can_be_turned_off(serve: Serve) -> None:
    reply = serve(success_content_type=False)(SONGS)
    assert reply.status == 202
    assert "content-type" not in reply.headers
    assert reply.headers["content-length"] == "0"


def test_request_body_is_ignored(call: Caller) -> None:
    reply = call(SONGS, body=b'{"data":[{"id":"1564531202","type":"songs"}]}')
    assert reply.status == 202


def test_web_player_host_is_served_the_same(call: Caller) -> None:
    assert call(SONGS, headers={"Host": "amp-api.music.apple.com"}).status == 202


# --- §1 routing ---------------------------------------------------------------------------


def test_trailing_slash_is_400(call: Caller, errors_validator: Draft202012Validator) -> None:
    reply = call("/v1/me/library/?ids[songs]=1564531202")
    assert_error(reply, errors_validator, 400, "40000")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_are_405_with_errors_body(
    call: Caller, errors_validator: Draft202012Validator, method: str
) -> None:
    reply = call(SONGS, method=method)
    assert_error(reply, errors_validator, 405, "40500")
    assert reply.headers["allow"] == "GET, POST, HEAD"


def test_get_of_the_add_is_a_read_by_library_typed_ids(
    call: Caller, errors_validator: Draft202012Validator
) -> None:
    # GET /v1/me/library reads by ids[library-TYPE]; a catalog type is not one of its names
    reply = call(SONGS, method="GET")
    assert_error(reply, errors_validator, 400, "40004", "ids[songs]")


def test_405_body_can_be_empty(serve: Serve) -> None:
    reply = serve(method_not_allowed_body="empty")(SONGS, method="DELETE")
    assert reply.status == 405
    assert reply.body == b""
    assert reply.headers["allow"] == "GET, POST, HEAD"


def test_unknown_path_is_404(call: Caller, errors_validator: Draft202012Validator) -> None:
    assert_error(call("/v1/me/libraries?ids[songs]=1"), errors_validator, 404, "40400")


# --- §1 query: wire forms -------------------------------------------------------------------

WIRE_FORMS = [
    "ids%5Bsongs%5D={a}%2C{b}",  # requests / httpx params=
    "ids%5Bsongs%5D={a},{b}",  # aiohttp params=
    "ids[songs]={a},{b}",  # f-string, Node fetch
    "ids%5Bsongs%5D={a}&ids%5Bsongs%5D={b}",  # requests with a list value
    "ids[songs]={a}&ids%5bsongs%5d={b}",  # mixed, lower-case escapes
]


@pytest.mark.parametrize("query", WIRE_FORMS)
def test_every_wire_form_is_accepted(call: Caller, query: str) -> None:
    assert call("/v1/me/library?" + query.format(a="1", b="2")).status == 202


@pytest.mark.parametrize("query", WIRE_FORMS)
def test_every_wire_form_parses_identically_in_strict_mode(
    serve: Serve, errors_validator: Draft202012Validator, query: str
) -> None:
    # With wrong shapes rejected, the answer proves both ids reached the shape check.
    strict = serve(wrong_shape_ids="reject")
    reply = strict("/v1/me/library?" + query.format(a="1", b="x"))
    error = assert_error(reply, errors_validator, 400, "40005", "ids[songs]")
    assert "'x'" in str(error["detail"])


def test_repeated_keys_can_be_rejected(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    reply = serve(repeated_keys="reject")("/v1/me/library?ids[songs]=1&ids[songs]=2")
    error = assert_error(reply, errors_validator, 400, "40005", "ids[songs]")
    assert "repeated" in str(error["detail"])


def test_several_types_in_one_request(call: Caller) -> None:
    query = "ids[songs]=1564531202&ids[albums]=1577502911&ids[music-videos]=267079116"
    query += "&ids[playlists]=pl.cb4d1c09a2df4230a78d0395fe1f8fde,pl.u-06oxDj6to1qMmx"
    assert call(f"/v1/me/library?{query}").status == 202


# --- §1 query: refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["artists", "stations", "library-songs", "Songs"])
def test_unaddable_type_is_40004(
    call: Caller, errors_validator: Draft202012Validator, type_: str
) -> None:
    reply = call(f"/v1/me/library?ids[{type_}]=1")
    assert_error(reply, errors_validator, 400, "40004", f"ids[{type_}]")


def test_unknown_parameter_is_40004_as_seen(
    call: Caller, errors_validator: Draft202012Validator
) -> None:
    error = assert_error(call(SONGS + "&foo=1"), errors_validator, 400, "40004", "foo")
    assert error["title"] == "Invalid Parameter"
    assert error["detail"] == "Parameter 'foo' is not allowed"


def test_web_player_parameters_are_tolerated(call: Caller) -> None:
    assert call(SONGS + "&representation=ids&format%5Bresources%5D=map").status == 202


def test_tolerated_parameters_are_configurable(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    none = serve(tolerated_parameters=[])
    assert_error(
        none(SONGS + "&representation=ids"), errors_validator, 400, "40004", "representation"
    )
    custom = serve(tolerated_parameters=["extend"])
    assert custom(SONGS + "&extend=artists").status == 202


@pytest.mark.parametrize(
    ("query", "parameter", "detail"),
    [
        ("", "ids", "Missing required parameter"),
        ("l=en-US", "ids", "Missing required parameter"),
        ("ids=1564531202", "ids", "Please provide a single (1) resource type"),
        ("ids[songs]=", "ids[songs]", "at least one id"),
        ("ids[songs]", "ids[songs]", "at least one id"),
        ("ids[songs]=1,,2", "ids[songs]", "empty id (element 2)"),
        ("ids[songs]=1,", "ids[songs]", "empty id (element 2)"),
        ("ids[albums]=1&ids[songs]=%2C", "ids[songs]", "empty id (element 1)"),
    ],
)
def test_missing_or_empty_ids_are_40005(
    call: Caller, errors_validator: Draft202012Validator, query: str, parameter: str, detail: str
) -> None:
    reply = call(f"/v1/me/library?{query}" if query else "/v1/me/library")
    error = assert_error(reply, errors_validator, 400, "40005", parameter)
    assert detail in str(error["detail"])
    assert error["title"] == "Invalid Parameter Value"


def test_unknown_parameter_is_reported_before_bad_values(
    call: Caller, errors_validator: Draft202012Validator
) -> None:
    assert_error(call("/v1/me/library?ids[songs]=&foo=1"), errors_validator, 400, "40004", "foo")


@pytest.mark.parametrize(
    "query",
    [
        "ids[songs]=9999999999999",  # unknown but well-formed
        "ids[songs]=not-a-song",  # wrong shape for the type
        "ids[playlists]=1564531202",  # a song id sent as a playlist
        "ids[songs]=i.gelNOzPuL41Lxo",  # a library id
        "ids[albums]=l.NWqWi1m",
    ],
)
def test_unaddable_ids_are_ignored_with_202(call: Caller, query: str) -> None:
    assert call(f"/v1/me/library?{query}").status == 202


def test_wrong_shape_ids_can_be_rejected(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    strict = serve(wrong_shape_ids="reject")
    reply = strict("/v1/me/library?ids[songs]=1564531202,abc")
    error = assert_error(reply, errors_validator, 400, "40005", "ids[songs]")
    assert "'abc'" in str(error["detail"])
    assert strict("/v1/me/library?ids[songs]=i.gelNOzPuL41Lxo").status == 202


def test_library_ids_can_be_rejected(serve: Serve, errors_validator: Draft202012Validator) -> None:
    strict = serve(library_ids="reject")
    reply = strict("/v1/me/library?ids[playlists]=p.ldvAAZ3C3Qmop9")
    error = assert_error(reply, errors_validator, 400, "40005", "ids[playlists]")
    assert "library id" in str(error["detail"])
    assert strict("/v1/me/library?ids[songs]=abc").status == 202


def test_target_longer_than_8192_bytes_is_414(
    call: Caller, errors_validator: Draft202012Validator
) -> None:
    base = "/v1/me/library?ids[songs]="
    ids = ",".join(["1564531202"] * 1000)
    fits = base + ids[: 8192 - len(base)].rstrip(",")
    assert len(fits) <= 8192
    assert call(fits).status == 202
    too_long = base + ids[: 8193 - len(base)] + "9"
    assert_error(call(too_long), errors_validator, 414, "41400")


def test_target_length_limit_is_configurable(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    short = serve(max_target_length=64)
    assert short(SONGS).status == 202
    assert_error(short(SONGS + ",1" * 20), errors_validator, 414, "41400")


@pytest.mark.parametrize("tag", ["en-US", "es-MX", "ar", "ru", "zh-Hans-CN"])
def test_supported_languages_of_us(serve: Serve, tag: str) -> None:
    assert serve(unsupported_language="reject")(f"{SONGS}&l={tag}").status == 202


def test_unsupported_language_is_ignored_by_default(call: Caller) -> None:
    assert call(f"{SONGS}&l=fr-FR").status == 202


def test_unsupported_language_can_be_rejected(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    strict = serve(unsupported_language="reject")
    error = assert_error(strict(f"{SONGS}&l=fr-FR"), errors_validator, 400, "40005", "l")
    assert "en-US" in str(error["detail"])


def test_storefront_decides_the_supported_languages(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    japan = serve(storefront="jp", unsupported_language="reject")
    assert japan(f"{SONGS}&l=ja").status == 202
    assert japan(f"{SONGS}&l=en-US").status == 202
    assert_error(japan(f"{SONGS}&l=es-MX"), errors_validator, 400, "40005", "l")


def test_malformed_language_tag_is_40005(
    call: Caller, errors_validator: Draft202012Validator
) -> None:
    assert_error(call(f"{SONGS}&l=en_US!"), errors_validator, 400, "40005", "l")
