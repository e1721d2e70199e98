"""A large catalog: server time of the lookups clients make before adding (search, ISRC, by
id), and the memory the catalog takes. Direct ASGI calls, so the time is the fake's own."""

from __future__ import annotations

import asyncio
import functools
import gc
import random
import time
import tracemalloc
from typing import Any

from mockserver import create_app, mint_developer_token
from mockserver.catalog import Catalog

from .harness import Figure, Report, bare_app, drive, request_scope

_WORDS = [
    "love",
    "night",
    "fire",
    "heart",
    "summer",
    "road",
    "dream",
    "light",
    "river",
    "blue",
    "gold",
    "rain",
    "city",
    "dance",
    "wild",
    "home",
    "star",
    "moon",
    "ghost",
    "time",
    "echo",
    "storm",
    "ocean",
    "run",
    "young",
    "glass",
    "paper",
    "stone",
    "silver",
    "midnight",
]


def build_catalog(songs: int, *, seed: int = 7) -> dict[str, Any]:
    """``songs`` songs of made-up names over ``songs // 10`` albums, each with an ISRC."""
    draw = random.Random(seed)
    albums = max(1, songs // 10)
    artists = [f"{draw.choice(_WORDS).title()} {draw.choice(_WORDS).title()}" for _ in range(500)]
    document: dict[str, Any] = {"songs": [], "albums": []}
    for number in range(albums):
        document["albums"].append(
            {"id": str(1_600_000_000 + number), "attributes": {"name": f"Album {number}"}}
        )
    for number in range(songs):
        words = draw.sample(_WORDS, draw.randint(1, 3))
        album = 1_600_000_000 + number % albums
        document["songs"].append(
            {
                "id": str(1_500_000_000 + number),
                "attributes": {
                    "name": " ".join(words).title(),
                    "artistName": artists[number % len(artists)],
                    "albumName": f"Album {number % albums}",
                    "isrc": f"QZAAA{26:02d}{number:05d}",
                    "durationInMillis": 120_000 + number % 180_000,
                },
                "relationships": {"albums": {"data": [{"id": str(album), "type": "albums"}]}},
            }
        )
    return document


def _memory(document: dict[str, Any]) -> float:
    """MB the built catalog holds, its search index included (the document aside)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    catalog = Catalog(document)
    catalog.search("songs", "warm-up", "us")  # builds the search index
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del catalog
    return (after - before) / 1e6


def _copy(scope: dict[str, Any], index: int) -> dict[str, Any]:
    return dict(scope)


def run(report: Report, *, songs: int = 10_000, count: int = 300) -> None:
    document = build_catalog(songs)
    started = time.perf_counter()
    app = create_app(catalog=document)
    built = time.perf_counter() - started
    token = mint_developer_token(lifetime=3600)
    pairs = [("authorization", f"Bearer {token}"), ("host", "api.music.apple.com")]
    isrcs = ",".join(f"QZAAA26{n:05d}" for n in range(0, 25 * 37, 37))
    targets = {
        "search, two words": "/v1/catalog/us/search?term=night+fire&types=songs&limit=25",
        "search, one common word": "/v1/catalog/us/search?term=love&types=songs,albums&limit=25",
        "ISRC, one": "/v1/catalog/us/songs?filter%5Bisrc%5D=QZAAA2600042",
        "ISRC, 25": f"/v1/catalog/us/songs?filter%5Bisrc%5D={isrcs}",
        "by id": "/v1/catalog/us/songs/1500000042",
    }

    def get(target: str) -> dict[str, Any]:
        return {**request_scope(target, pairs), "method": "GET"}

    bare = bare_app()
    add_pairs = [*pairs, ("music-user-token", "bench-user")]
    baseline = asyncio.run(
        drive(bare, lambda i: request_scope("/v1/me/library?ids%5Bsongs%5D=1", add_pairs), count)
    )
    for name, target in targets.items():
        scopes = functools.partial(_copy, get(target))
        asyncio.run(drive(app, scopes, 3, expect=200))  # warm-up: the search index is built
        best = min(asyncio.run(drive(app, scopes, count, expect=200)) for _ in range(3))
        report.add(
            Figure(
                f"catalog of {songs:,} songs: {name}",
                best / count * 1e3,
                "ms",
                baseline / count * 1e3,
                "< 2 ms",
                "server time per request (direct ASGI); baseline: the bare 202",
            )
        )
    report.add(Figure(f"catalog of {songs:,} songs: built with the app", built * 1e3, "ms"))
    report.add(
        Figure(
            f"catalog of {songs:,} songs: memory",
            _memory(document),
            "MB",
            note="the built catalog and its search index, beside the document itself",
        )
    )
