"""Every endpoint the fake serves, in process: the add, library reads, library playlists,
catalog lookups and search, a CORS preflight and the admin reset, each against a bare
Starlette route answering the same status, headers and body (captured from the fake), with
the apps taking turns batch by batch and the fastest batch kept (as ``inprocess``)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver import create_app, mint_developer_token
from mockserver.catalog import read_catalog

from .harness import Figure, Report, drive, request_scope

#: Requests per timed batch, and before timing (per endpoint and app).
BATCH = 200
WARM_UP = 400


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    target: str
    status: int
    body: bytes = b""
    admin: bool = False  # served by a fake of its own (a reset empties the library)


def _echo_app(
    answers: dict[tuple[str, str, str], tuple[int, list[tuple[bytes, bytes]], bytes]],
) -> Any:
    """The baseline: one bare Starlette route for every path, answering each (method, path,
    query) with the fake's own status, headers and body."""

    async def answer(request: Request) -> Response:
        query = request.scope["query_string"].decode("latin-1")
        status, headers, body = answers[(request.method, request.url.path, query)]
        response = Response(body, status_code=status)
        response.raw_headers = list(headers)
        return response

    methods = ["GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", answer, methods=methods)])


async def _capture(app: Any, scope: dict[str, Any], body: bytes) -> tuple[int, list[Any], bytes]:
    reply: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            reply["status"], reply["headers"] = message["status"], message["headers"]
        else:
            reply["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return reply["status"], reply["headers"], reply["body"]


def _library_ids(app: Any, pairs: list[tuple[str, str]], target: str) -> list[str]:
    _, _, body = asyncio.run(_capture(app, request_scope(target, pairs, "GET"), b""))
    return [item["id"] for item in json.loads(body)["data"]]


def _endpoints(app: Any, pairs: list[tuple[str, str]]) -> list[Endpoint]:
    """The endpoints, with the library, playlists and ids they read set up in ``app``."""
    songs = ",".join(str(1564531202 + n) for n in range(4))
    setup = request_scope(f"/v1/me/library?ids%5Bsongs%5D={songs}", pairs)
    asyncio.run(drive(app, lambda _: setup, 1))
    song_ids = _library_ids(app, pairs, "/v1/me/library/songs")
    create = json.dumps(
        {
            "attributes": {"name": "Bench"},
            "relationships": {"tracks": {"data": [{"id": "1564531202", "type": "songs"}]}},
        }
    ).encode()
    scope = request_scope("/v1/me/library/playlists", pairs)
    _, _, created = asyncio.run(_capture(app, scope, create))
    playlist = json.loads(created)["data"][0]["id"]
    _, _, created = asyncio.run(_capture(app, scope, create))
    grows = json.loads(created)["data"][0]["id"]  # the one "add tracks" appends to
    tracks = json.dumps({"data": [{"id": "1564531203", "type": "songs"}]}).encode()
    return [
        Endpoint("add", "POST", "/v1/me/library?ids%5Bsongs%5D=1564531202%2C1564531203", 202),
        Endpoint("library: songs, first page", "GET", "/v1/me/library/songs", 200),
        Endpoint("library: one song", "GET", f"/v1/me/library/songs/{song_ids[0]}", 200),
        Endpoint("library: songs by ids", "GET", f"/v1/me/library/songs?ids={song_ids[1]}", 200),
        Endpoint(
            "library: typed ids",
            "GET",
            f"/v1/me/library?ids%5Blibrary-songs%5D={song_ids[2]}",
            200,
        ),
        Endpoint("library: recently added", "GET", "/v1/me/library/recently-added", 200),
        Endpoint("playlists: create", "POST", "/v1/me/library/playlists", 201, create),
        Endpoint(
            "playlists: add tracks",
            "POST",
            f"/v1/me/library/playlists/{grows}/tracks",
            204,
            tracks,
        ),
        Endpoint("playlists: one", "GET", f"/v1/me/library/playlists/{playlist}", 200),
        Endpoint("playlists: tracks", "GET", f"/v1/me/library/playlists/{playlist}/tracks", 200),
        Endpoint("catalog: song by id", "GET", "/v1/catalog/us/songs/1564531202", 200),
        Endpoint("catalog: songs by ids", "GET", f"/v1/catalog/us/songs?ids={songs}", 200),
        Endpoint(
            "catalog: song by ISRC",
            "GET",
            "/v1/catalog/us/songs?filter%5Bisrc%5D=QZAAA2600001",
            200,
        ),
        Endpoint("catalog: search", "GET", "/v1/catalog/us/search?term=night&types=songs", 200),
        Endpoint("CORS preflight", "OPTIONS", "/v1/me/library?ids%5Bsongs%5D=1564531202", 204),
        Endpoint("admin: reset", "POST", "/_mock/reset", 204, admin=True),
    ]


def run(report: Report, *, count: int = 3_000) -> None:
    token = mint_developer_token(lifetime=24 * 3600)
    pairs = [
        ("authorization", f"Bearer {token}"),
        ("music-user-token", "bench-user"),
        ("host", "api.music.apple.com"),
        ("origin", "https://music.example"),
        ("access-control-request-method", "POST"),
    ]
    catalog = read_catalog("demo")
    fake, admin = create_app(catalog=catalog), create_app(catalog=catalog)
    endpoints = _endpoints(fake, pairs)
    scopes = {e.name: request_scope(e.target, pairs, e.method) for e in endpoints}
    answers = {}
    for endpoint in endpoints:
        app = admin if endpoint.admin else fake
        answer = asyncio.run(_capture(app, dict(scopes[endpoint.name]), endpoint.body))
        if answer[0] != endpoint.status:
            raise RuntimeError(f"{endpoint.name}: answered {answer[0]}: {answer[2]!r}")
        path, _, query = endpoint.target.partition("?")
        answers[(endpoint.method, path, query)] = answer
    bare = _echo_app(answers)

    async def measure(endpoint: Endpoint) -> tuple[float, float]:
        scope = scopes[endpoint.name]

        def fresh(_: int) -> dict[str, Any]:  # Starlette's routers change the scope they get
            return dict(scope)

        apps = {"fake": admin if endpoint.admin else fake, "bare": bare}
        best = dict.fromkeys(apps, float("inf"))
        for app in apps.values():
            await drive(app, fresh, WARM_UP, expect=endpoint.status, body=endpoint.body)
        for _ in range(max(1, count // BATCH)):
            for name, app in apps.items():
                seconds = await drive(
                    app, fresh, BATCH, expect=endpoint.status, body=endpoint.body
                )
                best[name] = min(best[name], seconds / BATCH * 1e6)
        return best["fake"], best["bare"]

    for endpoint in endpoints:
        fake_us, bare_us = asyncio.run(measure(endpoint))
        report.add(
            Figure(
                f"endpoint: {endpoint.name}",
                fake_us,
                "µs",
                bare_us,
                "",
                f"{endpoint.method} {endpoint.status}; baseline: a bare route, same answer",
            )
        )
