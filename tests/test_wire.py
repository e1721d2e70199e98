"""The wire: query decoding, the headers the fake reads, raw replies (mockserver/wire.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.errors import AppleError
from mockserver.wire import (
    JSON_CONTENT_TYPE,
    Query,
    Reply,
    decode_query,
    empty_reply,
    error_reply,
    json_reply,
    read_headers,
    typed_ids,
)


def test_read_headers_keeps_the_first_of_repeated_headers() -> None:
    raw = [
        (b"authorization", b"Bearer a.b.c"),
        (b"x-other", b"1"),
        (b"authorization", b"Bearer d.e.f"),
        (b"media-user-token", b"m"),
    ]
    assert read_headers(raw) == {"authorization": "Bearer a.b.c", "media-user-token": "m"}


def test_query_decodes_once_and_splits_typed_ids() -> None:
    query = Query(b"ids%5Bsongs%5D=1%2C2&ids[albums]=&l=en-US&ids[songs]=3")
    assert query.pairs is query.pairs
    assert query.ids == {"songs": ["1", "2", "3"], "albums": []}
    assert typed_ids([("ids", "1"), ("idsx", "2")]) == {}


_PIECES = st.sampled_from(
    ["ids[songs]=1,2", "ids[albums]=", "ids[]=3", "ids[a]b]=4", "ids[x]", "ids[", "=ids[s]=5"]
)


@given(st.lists(st.one_of(_PIECES, st.text("ids[]=&,a1"), st.just("")), max_size=6))
def test_the_ids_of_a_plain_query_are_those_of_its_pairs(pieces: list[str]) -> None:
    # a plain query's ids come from string operations on its text, the others' from the pairs
    raw = "&".join(pieces).encode()
    query = Query(raw)
    assert query.text is not None
    assert query.ids == typed_ids(decode_query(raw))


def test_read_headers_reads_a_tuple_of_pairs_too() -> None:
    assert read_headers(((b"origin", b"o"), (b"origin", b"p"))) == {"origin": "o"}


def test_error_reply_is_an_errors_body_with_the_first_status() -> None:
    reply = error_reply(AppleError(400, "40004", "no", "foo"), AppleError(400, "40005", "bad"))
    assert reply.status == 400
    headers = dict(reply.headers)
    assert headers[b"content-type"] == JSON_CONTENT_TYPE.encode()
    assert headers[b"content-length"] == str(len(reply.body)).encode()
    assert [e["code"] for e in json.loads(reply.body)["errors"]] == ["40004", "40005"]


def test_error_reply_needs_an_error() -> None:
    with pytest.raises(ValueError, match="at least one error"):
        error_reply()


def test_empty_reply_has_zero_length_and_optional_content_type() -> None:
    assert dict(empty_reply(202).headers) == {
        b"content-type": JSON_CONTENT_TYPE.encode(),
        b"content-length": b"0",
    }
    assert b"content-type" not in dict(empty_reply(202, content_type=False).headers)


def test_json_reply_and_extra_headers() -> None:
    reply = json_reply(200, {"name": "Café"}).with_headers([(b"x-a", b"1")])
    assert json.loads(reply.body) == {"name": "Café"}
    assert dict(reply.headers)[b"x-a"] == b"1"
    replaced = reply.with_headers([(b"content-type", b"text/plain")])
    assert [v for k, v in replaced.headers if k == b"content-type"] == [b"text/plain"]


def test_reply_sends_start_then_body() -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(Reply(204, [], b"").send(send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
