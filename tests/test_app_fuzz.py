"""Hypothesis: no query string or header value makes the app answer anything but a clean 202/4xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from starlette.types import ASGIApp

from mockserver import create_app, mint_developer_token
from mockserver.schemas import load_schemas

from support import QUERY_FRAGMENTS, call_asgi

APP = create_app()
STRICT_APP = create_app(
    repeated_keys="reject",
    wrong_shape_ids="reject",
    library_ids="reject",
    unsupported_language="reject",
    max_target_length=512,
)
TOKEN = mint_developer_token(lifetime=24 * 3600)
ERRORS: Draft202012Validator = load_schemas().validator("errors.schema.json")

QUERIES = st.one_of(
    st.lists(QUERY_FRAGMENTS, max_size=20).map("".join),
    st.text(alphabet=st.characters(max_codepoint=255), max_size=200),
)
HEADER_VALUES = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=80),
    st.just(f"Bearer {TOKEN}"),
    st.builds(lambda s: f"Bearer {s}", st.text(alphabet="abcXYZ019-_.", max_size=60)),
)


def check(
    app: ASGIApp, query: str, authorization: str | None, user: str | None, origin: str | None
) -> None:
    headers = [
        (name, value.encode("latin-1"))
        for name, value in (
            (b"authorization", authorization),
            (b"music-user-token", user),
            (b"origin", origin),
        )
        if value is not None
    ]
    reply = call_asgi(app, "POST", "/v1/me/library?" + query, headers)
    assert reply.status in {202, 400, 401, 403, 414}, reply
    if reply.status in {202, 401}:
        assert reply.body == b""
    else:
        ERRORS.validate(json.loads(reply.body))
        assert reply.headers["content-type"] == "application/json; charset=utf-8"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(query=QUERIES, authorization=HEADER_VALUES, user=HEADER_VALUES, origin=HEADER_VALUES)
@example(query="ids[songs]=1", authorization=f"Bearer {TOKEN}", user="u", origin=None)
@example(query="ids%5Bsongs%5D=%FF,%00", authorization=f"Bearer {TOKEN}", user="u", origin=None)
def test_arbitrary_requests_get_well_formed_answers(
    query: str, authorization: str | None, user: str | None, origin: str | None
) -> None:
    check(APP, query, authorization, user, origin)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(query=QUERIES, user=HEADER_VALUES)
def test_arbitrary_queries_with_valid_auth_in_strict_mode(query: str, user: str | None) -> None:
    check(STRICT_APP, query, f"Bearer {TOKEN}", user or "u", None)
