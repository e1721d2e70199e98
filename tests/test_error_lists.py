"""One error object per problem (``errors_per_answer``), and the settings for an empty or a
POSIX-style ``l`` (``empty_language``, ``posix_language``)."""

from __future__ import annotations

from typing import Any

import pytest

from support import Serve

ADD = "/v1/me/library?"


def parameters(reply: Any) -> list[str]:
    return [error["source"]["parameter"] for error in reply.json()["errors"]]


def test_every_problem_of_the_add_gets_an_error_in_check_order(serve: Serve) -> None:
    reply = serve()(ADD + "ids[artists]=1&foo=bar")
    assert reply.status == 400
    errors = reply.json()["errors"]
    assert parameters(reply) == ["ids[artists]", "foo"]  # "no ids" is the first one again
    assert [e["code"] for e in errors] == ["40004", "40004"]
    assert len({e["id"] for e in errors}) == len(errors)
    first = serve(errors_per_answer="first")(ADD + "ids[artists]=1&foo=bar")
    assert parameters(first) == ["ids[artists]"]


def test_a_query_without_ids_names_each_problem(serve: Serve) -> None:
    reply = serve()(ADD + "foo=bar&l=x_")
    assert parameters(reply) == ["foo", "l", "ids"]


def test_every_problem_of_a_read_gets_an_error(serve: Serve) -> None:
    reply = serve()("/v1/me/library/songs?limit=0&foo=1&offset=-1", method="GET")
    assert reply.status == 400
    assert parameters(reply) == ["limit", "foo", "offset"]
    first = serve(errors_per_answer="first")("/v1/me/library/songs?limit=0&foo=1", method="GET")
    assert parameters(first) == ["limit"]


@pytest.mark.parametrize(
    ("settings", "query", "status"),
    [
        ({}, "l=", 202),
        ({"empty_language": "reject"}, "l=", 400),
        ({}, "l=en_US", 400),
        ({"posix_language": "ignore"}, "l=en_US", 202),
        ({"posix_language": "ignore"}, "l=en_", 400),
    ],
)
def test_empty_and_posix_language_settings(
    serve: Serve, settings: dict[str, str], query: str, status: int
) -> None:
    call = serve(**settings)
    reply = call(ADD + "ids[songs]=1&" + query)
    assert reply.status == status, reply.body
    read = call(f"/v1/me/library/songs?{query}", method="GET")
    assert read.status == (200 if status == 202 else 400)
    if status == 400:
        assert parameters(reply) == ["l"]
        assert parameters(read) == ["l"]
