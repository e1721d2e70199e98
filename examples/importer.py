"""Import a CSV of songs (``title,artist,isrc``) into an Apple Music library.

Each row is resolved to a catalog song: by ISRC first (up to 25 per lookup), then, for rows
without one or not found that way, by searching "title artist" and taking the first song
whose name is the title (case-insensitively). The songs found are added in batches, and the
library is read back (every page) to check they are there. 429 and 5xx answers and broken
connections are retried with a bounded backoff (``Retry-After`` honoured, capped). The
report accounts for every row: added (with its catalog id), not found, or failed and why.

Against the fake, with its demo catalog::

    apple-music-mock serve --catalog demo --port 8080 &
    python examples/importer.py examples/importer_rows.csv --base-url http://127.0.0.1:8080 \\
        --developer-token "$(apple-music-mock token)" --user-token my-user-token

Tests (``examples/test_importer.py``) run it through ``apple_music_respx`` and against
``apple_music_server.url``.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

API = "https://api.music.apple.com"
ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]{7}")


@dataclass(frozen=True)
class Row:
    line: int  # the CSV line, for the report
    title: str
    artist: str
    isrc: str = ""

    def __str__(self) -> str:
        return f"line {self.line} {self.title!r} by {self.artist!r}"


@dataclass
class Report:
    added: dict[Row, str] = field(default_factory=dict)  # row -> catalog id
    not_found: list[Row] = field(default_factory=list)
    failed: dict[Row, str] = field(default_factory=dict)  # row -> why

    def __str__(self) -> str:
        lines = [f"added: {row} -> {id_}" for row, id_ in self.added.items()]
        lines += [f"not found: {row}" for row in self.not_found]
        lines += [f"failed: {row}: {why}" for row, why in self.failed.items()]
        counts = (
            f"added {len(self.added)}, not found {len(self.not_found)}, failed {len(self.failed)}"
        )
        return "\n".join([counts, *lines])


class Failed(Exception):
    """A request Apple refused, or one that kept failing until the retries ran out (then
    ``retry_after`` is the last answer's ``Retry-After``, if it had one)."""

    def __init__(self, why: str, retry_after: str | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


def read_rows(path: str | Path) -> list[Row]:
    """The CSV's rows (after its header line); ISRCs upper case, without dashes."""
    rows = []
    with open(path, newline="", encoding="utf-8") as file:
        for line, cells in enumerate(csv.DictReader(file), start=2):
            title, artist, isrc = (cells.get(k) or "" for k in ("title", "artist", "isrc"))
            rows.append(
                Row(line, title.strip(), artist.strip(), isrc.replace("-", "").strip().upper())
            )
    return rows


class Importer:
    def __init__(
        self,
        client: httpx.Client,
        *,
        developer_token: str,
        user_token: str,
        base_url: str = API,
        storefront: str = "us",
        batch_size: int = 100,
        max_attempts: int = 5,
        backoff: float = 0.05,
        max_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client, self.base_url, self.storefront = client, base_url.rstrip("/"), storefront
        self.headers = {
            "Authorization": f"Bearer {developer_token}",
            "Music-User-Token": user_token,
        }
        self.batch_size, self.max_attempts = batch_size, max_attempts
        self.backoff, self.max_delay, self.sleep = backoff, max_delay, sleep

    def run(self, rows: Sequence[Row]) -> Report:
        report = Report()
        found = self.by_isrc([r for r in rows if ISRC.fullmatch(r.isrc)], report)
        for row in rows:
            if row not in found and row not in report.failed:
                self.by_search(row, found, report)
        ids = list(dict.fromkeys(found.values()))
        accepted: set[str] = set()
        for batch in _batches(ids, self.batch_size):
            try:
                self.send("POST", "/v1/me/library", {"ids[songs]": ",".join(batch)}, expect=202)
                accepted.update(batch)
            except Failed as error:
                _fail(report, (r for r in found if found[r] in batch), f"add: {error}")
        try:
            library = set(self.library_songs())
        except Failed as error:
            library, why = set(), f"could not read the library back: {error}"
        else:
            why = "accepted (202) but not in the library read back"
        for row, id_ in found.items():
            if id_ in library:  # there, even if its add seemed to fail (its answer was lost)
                report.added[row] = id_
                report.failed.pop(row, None)
            elif id_ in accepted:
                report.failed[row] = why
        return report

    def by_isrc(self, rows: Sequence[Row], report: Report) -> dict[Row, str]:
        """Rows whose ISRC the catalog knows -> song id (25 ISRCs per lookup)."""
        found: dict[Row, str] = {}
        path = f"/v1/catalog/{self.storefront}/songs"
        for batch in _batches(list(dict.fromkeys(r.isrc for r in rows)), 25):
            try:
                songs = self.send("GET", path, {"filter[isrc]": ",".join(batch)})["data"]
            except Failed as error:
                _fail(report, (r for r in rows if r.isrc in batch), f"ISRC lookup: {error}")
                continue
            ids: dict[str, str] = {}
            for song in songs:
                ids.setdefault(str(song["attributes"].get("isrc", "")).upper(), song["id"])
            found.update((r, ids[r.isrc]) for r in rows if r.isrc in ids)
        return found

    def by_search(self, row: Row, found: dict[Row, str], report: Report) -> None:
        if not row.title:
            report.not_found.append(row)
            return
        term = f"{row.title} {row.artist}".strip()[:256]
        params = {"term": term, "types": "songs", "limit": "25"}
        try:
            body = self.send("GET", f"/v1/catalog/{self.storefront}/search", params)
        except Failed as error:
            report.failed[row] = f"search: {error}"
            return
        for song in body.get("results", {}).get("songs", {}).get("data", []):
            if str(song["attributes"].get("name", "")).casefold() == row.title.casefold():
                found[row] = song["id"]
                return
        report.not_found.append(row)

    def library_songs(self) -> list[str]:
        """Catalog ids of the songs in the library, every page."""
        ids: list[str] = []
        path: str | None = "/v1/me/library/songs?limit=100"
        while path:
            page = self.send("GET", path)
            ids += [str(s["attributes"]["playParams"].get("catalogId")) for s in page["data"]]
            path = page.get("next")
        return ids

    def send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None = None,
        *,
        expect: int = 200,
        body: Any = None,
        attempts: int | None = None,
    ) -> Any:
        """The answer's JSON (``None`` for an empty body); retries what is worth retrying
        (up to ``attempts``, by default ``max_attempts``). ``body``, when given, is sent as
        JSON."""
        why, attempts = "no attempt", attempts or self.max_attempts
        for attempt in range(1, attempts + 1):
            retry_after = None
            try:
                answer = self.client.request(
                    method,
                    self.base_url + path,
                    params=params,
                    headers=self.headers,
                    json=body,
                    timeout=10,
                )
                if answer.status_code == expect:
                    return answer.json() if answer.content else None
                why, retry_after = _describe(answer), answer.headers.get("retry-after")
                if answer.status_code != 429 and answer.status_code < 500:
                    raise Failed(why)  # a refusal: asking again would not change it
            except (httpx.TransportError, ValueError) as error:  # ValueError: a broken body
                why = f"{type(error).__name__}: {error}"
            if attempt < attempts:
                self.pause(attempt, retry_after)
        why = f"{why} (gave up after {attempts} attempts)" if attempts > 1 else why
        raise Failed(why, retry_after)

    def pause(self, attempt: int, retry_after: str | None = None) -> None:
        """Wait before attempt ``attempt + 1``: ``Retry-After`` when given, else exponential;
        capped at ``max_delay``."""
        delay = self.backoff * 2 ** (attempt - 1)
        if retry_after and retry_after.strip().isdigit():
            delay = float(retry_after)
        self.sleep(min(delay, self.max_delay))


def _describe(answer: httpx.Response) -> str:
    """``HTTP 403 40300``: the status and the codes of Apple's errors body, if any."""
    try:
        codes = [str(error["code"]) for error in answer.json()["errors"]]
    except (ValueError, KeyError, TypeError):
        codes = []
    return " ".join([f"HTTP {answer.status_code}", *codes])


def _batches(items: list[str], size: int) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _fail(report: Report, rows: Iterable[Row], why: str) -> None:
    for row in rows:
        report.failed.setdefault(row, why)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Import a CSV of songs into a library.")
    parser.add_argument("csv", type=Path, help="rows of title,artist,isrc (with a header)")
    parser.add_argument("--base-url", default=API)
    parser.add_argument("--storefront", default="us")
    parser.add_argument("--batch-size", type=int, default=100, help="ids per add")
    parser.add_argument("--developer-token", default=os.environ.get("APPLE_MUSIC_DEVELOPER_TOKEN"))
    parser.add_argument("--user-token", default=os.environ.get("APPLE_MUSIC_USER_TOKEN"))
    options = vars(parser.parse_args(argv))
    if not options["developer_token"] or not options["user_token"]:
        parser.error("give --developer-token and --user-token (or their environment variables)")
    rows = read_rows(options.pop("csv"))
    with httpx.Client() as client:
        report = Importer(client, **options).run(rows)
    print(report)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
