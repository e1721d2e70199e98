"""Copy a catalog playlist into an Apple Music library, as playlist-transfer tools do.

The flow, call by call: the user's storefront (``GET /v1/me/storefront``, also the token
check); the catalog playlist with its tracks (``GET /v1/catalog/{sf}/playlists/{id}``, then
the tracks relationship's ``next`` pages); each track matched in the user's storefront by ISRC
(25 per lookup), then by searching "title artist" (the importer's matching,
``examples/importer.py``); the library playlist found by its name, or created; the matches it
lacks appended (``POST …/tracks``); and the playlist read back. Run twice, it adds nothing the
second time: it reads what the playlist holds (``playParams.catalogId``) before adding, and
after a lost answer to a create or an append it looks again instead of sending it again.

Against the fake, with its demo catalog::

    apple-music-mock serve --catalog demo --port 8080 &
    python examples/transfer.py pl.cb4d1c09a2df4230a78d0395fe1f8fde \\
        --base-url http://127.0.0.1:8080 \\
        --developer-token "$(apple-music-mock token)" --user-token my-user-token

Tests (``examples/test_transfer.py``) run it through ``apple_music_respx`` and against
``apple_music_server.url``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from importer import API, ISRC, Failed, Importer, Report, Row


@dataclass
class TransferReport:
    source: str  # the catalog playlist's id
    name: str = ""
    playlist_id: str = ""  # the library playlist's
    created: bool = False
    matched: dict[Row, str] = field(default_factory=dict)  # track -> id in the user's storefront
    not_found: list[Row] = field(default_factory=list)
    failed: dict[Row, str] = field(default_factory=dict)  # track -> why
    added: int = 0  # tracks appended by this run
    read_back: list[str] = field(default_factory=list)  # the playlist's catalog ids, in order
    error: str = ""  # what stopped the run, if anything did

    @property
    def wanted(self) -> list[str]:
        """The matches, once each, in the source playlist's order."""
        return list(dict.fromkeys(self.matched.values()))

    @property
    def missing(self) -> list[str]:
        """Matches the playlist read back does not hold."""
        return [id_ for id_ in self.wanted if id_ not in self.read_back]

    def __str__(self) -> str:
        if self.error:
            return f"{self.source}: stopped: {self.error}"
        verb = "created" if self.created else "found"
        lines = [
            f"{self.name!r} ({verb} {self.playlist_id}): matched {len(self.matched)}, "
            f"not found {len(self.not_found)}, failed {len(self.failed)}, added {self.added}, "
            f"missing after {len(self.missing)}"
        ]
        lines += [f"not found: {row}" for row in self.not_found]
        lines += [f"failed: {row}: {why}" for row, why in self.failed.items()]
        lines += [f"missing after: {id_}" for id_ in self.missing]
        return "\n".join(lines)


class Transfer:
    """A playlist-transfer client; its requests (and their retries) go through an
    :class:`~importer.Importer`."""

    def __init__(self, client: httpx.Client, **options: Any) -> None:
        self.api = Importer(client, **options)

    def run(self, playlist_id: str, *, source_storefront: str = "us") -> TransferReport:
        report = TransferReport(playlist_id)
        try:
            self.api.storefront = self.user_storefront()
            report.name, description, tracks = self.source(playlist_id, source_storefront)
        except Failed as error:
            report.error = str(error)
            return report
        self.match(tracks, report)
        try:
            report.playlist_id, report.created = self.find_or_create(report.name, description)
            report.read_back, report.added = self.fill(report.playlist_id, report.wanted)
        except Failed as error:
            report.error = str(error)
        return report

    def user_storefront(self) -> str:
        """The user's storefront; a refusal here means the tokens were rejected."""
        try:
            return str(self.api.send("GET", "/v1/me/storefront")["data"][0]["id"])
        except Failed as error:
            raise Failed(f"tokens rejected? storefront: {error}") from None

    def source(self, playlist_id: str, storefront: str) -> tuple[str, str, list[dict[str, Any]]]:
        """The catalog playlist's name, description and every track (all pages)."""
        path = f"/v1/catalog/{storefront}/playlists/{playlist_id}"
        playlist = self.api.send("GET", path)["data"][0]
        relationship = playlist.get("relationships", {}).get("tracks", {})
        tracks = list(relationship.get("data", []))
        following = relationship.get("next")
        while following:
            page = self.api.send("GET", following)
            tracks += page["data"]
            following = page.get("next")
        description = playlist["attributes"].get("description", {}).get("standard", "")
        return str(playlist["attributes"]["name"]), str(description), tracks

    def match(self, tracks: list[dict[str, Any]], report: TransferReport) -> None:
        """Each track's song in the user's storefront: by ISRC, then by search."""
        rows = []
        for position, track in enumerate(tracks, start=1):
            attributes = track.get("attributes", {})
            isrc = str(attributes.get("isrc", "")).upper()
            rows.append(
                Row(position, attributes.get("name", ""), attributes.get("artistName", ""), isrc)
            )
        outcome = Report()
        found = self.api.by_isrc([row for row in rows if ISRC.fullmatch(row.isrc)], outcome)
        for row in rows:
            if row not in found and row not in outcome.failed:
                self.api.by_search(row, found, outcome)
        report.matched = {row: found[row] for row in rows if row in found}
        report.not_found, report.failed = outcome.not_found, outcome.failed

    def find(self, name: str) -> str | None:
        """The first library playlist named ``name`` (every page read)."""
        path: str | None = "/v1/me/library/playlists?limit=100"
        while path:
            page = self.api.send("GET", path)
            for playlist in page["data"]:
                if playlist["attributes"].get("name") == name:
                    return str(playlist["id"])
            path = page.get("next")
        return None

    def find_or_create(self, name: str, description: str) -> tuple[str, bool]:
        """The library playlist named ``name``, created when there is none. A create that
        fails is not sent again before looking for its playlist (its answer may be lost after
        the playlist was made), with a growing pause between attempts; after the last
        attempt it looks once more."""
        why = "no attempt"
        for attempt in range(self.api.max_attempts + 1):
            found = self.find(name)
            if found is not None:
                return found, False
            if attempt == self.api.max_attempts:
                break
            body = {"attributes": {"name": name, "description": description}}
            try:
                created = self.api.send(
                    "POST", "/v1/me/library/playlists", expect=201, body=body, attempts=1
                )
                return str(created["data"][0]["id"]), True
            except Failed as error:
                why = str(error)
                self.api.pause(attempt + 1, error.retry_after)
        raise Failed(f"create playlist: {why}")

    def tracks(self, playlist_id: str) -> list[str]:
        """The catalog ids of the playlist's tracks, in order (every page)."""
        ids: list[str] = []
        path: str | None = f"/v1/me/library/playlists/{playlist_id}/tracks"
        while path:
            page = self.api.send("GET", path)
            ids += [str(t["attributes"]["playParams"].get("catalogId")) for t in page["data"]]
            path = page.get("next")
        return ids

    def fill(self, playlist_id: str, wanted: list[str]) -> tuple[list[str], int]:
        """Append the ``wanted`` ids the playlist lacks, in order: the playlist read back and
        how many were appended. After a failed append (whose answer may be lost after the
        tracks were added) it pauses, growing, and reads the playlist again before
        appending what is still missing."""
        added, why = 0, "no attempt"
        path = f"/v1/me/library/playlists/{playlist_id}/tracks"
        for attempt in range(self.api.max_attempts + 1):
            have = self.tracks(playlist_id)
            held = set(have)
            missing = [id_ for id_ in wanted if id_ not in held]
            if not missing:
                return have, added
            if attempt == self.api.max_attempts:
                break
            try:
                for start in range(0, len(missing), self.api.batch_size):
                    batch = missing[start : start + self.api.batch_size]
                    body = {"data": [{"id": id_, "type": "songs"} for id_ in batch]}
                    self.api.send("POST", path, expect=204, body=body, attempts=1)
                    added += len(batch)
                return self.tracks(playlist_id), added
            except Failed as error:
                why = str(error)
                self.api.pause(attempt + 1, error.retry_after)
        raise Failed(f"add tracks: {why}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Copy a catalog playlist into a library.")
    parser.add_argument("playlist", help="the catalog playlist's id (pl.…)")
    parser.add_argument("--from-storefront", default="us", help="where the playlist is")
    parser.add_argument("--base-url", default=API)
    parser.add_argument("--developer-token", default=os.environ.get("APPLE_MUSIC_DEVELOPER_TOKEN"))
    parser.add_argument("--user-token", default=os.environ.get("APPLE_MUSIC_USER_TOKEN"))
    options = parser.parse_args(argv)
    if not options.developer_token or not options.user_token:
        parser.error("give --developer-token and --user-token (or their environment variables)")
    with httpx.Client() as client:
        transfer = Transfer(
            client,
            developer_token=options.developer_token,
            user_token=options.user_token,
            base_url=options.base_url,
        )
        report = transfer.run(options.playlist, source_storefront=options.from_storefront)
    print(report)
    return 1 if report.error or report.failed or report.missing else 0


if __name__ == "__main__":
    sys.exit(main())
