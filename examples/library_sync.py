"""A library-sync client worth testing: batching, retries with backoff, and verification.

``LibrarySync`` adds a group of catalog ids (type -> ids) in batches, retries what is worth
retrying (429, 500, 503 and broken connections) a bounded number of times, never retries a
refusal (400, 401, 403, ...), and can verify the additions by reading the library back. It
also creates a library playlist from catalog song ids (the first batch with the playlist,
the rest added to its end) and verifies it by reading the playlist's tracks back.
``NaiveSync`` is the kind of client the property test in ``test_library_sync.py`` catches:
it retries everything and parses the empty 202 body as JSON.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

API = "https://api.music.apple.com"
RETRYABLE = frozenset({429, 500, 503})


class LibraryError(RuntimeError):
    """Apple refused the request (or kept failing); ``status`` and ``errors`` say how."""

    def __init__(
        self, message: str, *, status: int | None = None, errors: list[Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []


class NotAdded(LibraryError):
    """Accepted with 202, but missing from the library when read back."""

    def __init__(self, missing: Mapping[str, list[str]]) -> None:
        super().__init__(f"accepted but not in the library: {dict(missing)}")
        self.missing = dict(missing)


class LibrarySync:
    def __init__(
        self,
        client: httpx.Client,
        *,
        developer_token: str,
        user_token: str,
        base_url: str = API,
        batch_size: int = 25,
        max_attempts: int = 8,
        backoff: float = 0.05,
    ) -> None:
        if batch_size < 1 or max_attempts < 1:
            raise ValueError("batch_size and max_attempts must be >= 1")
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.headers = {
            "Authorization": f"Bearer {developer_token}",
            "Music-User-Token": user_token,
        }
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff = backoff

    def add(self, group: Mapping[str, Sequence[str]]) -> int:
        """Add every id; returns the number of requests sent."""
        sent = 0
        for type_, ids in group.items():
            for start in range(0, len(ids), self.batch_size):
                sent += self._post(type_, ids[start : start + self.batch_size])
        return sent

    def _post(self, type_: str, batch: Sequence[str]) -> int:
        params = {f"ids[{type_}]": ",".join(batch)}
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.client.post(
                    f"{self.base_url}/v1/me/library", params=params, headers=self.headers
                )
            except httpx.TransportError:
                self._sleep(attempt)
                continue
            if response.status_code == 202:
                return attempt
            if response.status_code in RETRYABLE:
                self._sleep(attempt, response.headers.get("retry-after"))
                continue
            errors = response.json().get("errors", []) if response.content else []
            raise LibraryError(
                f"HTTP {response.status_code} adding {type_}",
                status=response.status_code,
                errors=errors,
            )
        raise LibraryError(f"gave up adding {type_} after {self.max_attempts} attempts")

    def create_playlist(self, name: str, song_ids: Sequence[str]) -> str:
        """Create a library playlist holding these catalog songs, in order; returns its id."""
        size = self.batch_size
        body = {
            "attributes": {"name": name},
            "relationships": {"tracks": _tracks(song_ids[:size])},
        }
        created = self._send("POST", "/v1/me/library/playlists", body, expect=201)
        playlist_id = str(created.json()["data"][0]["id"])
        for start in range(size, len(song_ids), size):
            more = _tracks(song_ids[start : start + size])
            self._send("POST", f"/v1/me/library/playlists/{playlist_id}/tracks", more, expect=204)
        return playlist_id

    def verify_playlist(self, playlist_id: str, song_ids: Sequence[str]) -> None:
        """Read the playlist's tracks back; raise NotAdded unless they are ``song_ids``."""
        held = self._read(f"/v1/me/library/playlists/{playlist_id}/tracks?limit=100")
        if held != list(song_ids):
            raise NotAdded({"songs": [i for i in song_ids if i not in held] or list(song_ids)})

    def _send(self, method: str, path: str, body: Any, *, expect: int) -> httpx.Response:
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.client.request(
                    method, self.base_url + path, json=body, headers=self.headers
                )
            except httpx.TransportError:
                self._sleep(attempt)
                continue
            if response.status_code == expect:
                return response
            if response.status_code in RETRYABLE:
                self._sleep(attempt, response.headers.get("retry-after"))
                continue
            errors = response.json().get("errors", []) if response.content else []
            raise LibraryError(
                f"HTTP {response.status_code} on {method} {path}",
                status=response.status_code,
                errors=errors,
            )
        raise LibraryError(f"gave up on {method} {path} after {self.max_attempts} attempts")

    def _sleep(self, attempt: int, retry_after: str | None = None) -> None:
        delay = (
            float(retry_after)
            if retry_after and retry_after.isdigit()
            else self.backoff * 2 ** (attempt - 1)
        )
        time.sleep(min(delay, 2.0))

    def verify(self, group: Mapping[str, Sequence[str]]) -> None:
        """Read the library back; raise NotAdded listing what is missing."""
        missing: dict[str, list[str]] = {}
        for type_, ids in group.items():
            present = set(self.library(type_))
            absent = [i for i in ids if i not in present]
            if absent:
                missing[type_] = absent
        if missing:
            raise NotAdded(missing)

    def library(self, type_: str) -> list[str]:
        """Catalog ids in the library, following ``next`` links."""
        return self._read(f"/v1/me/library/{type_}?limit=100")

    def _read(self, path: str) -> list[str]:
        """Catalog ids of the items of a paged read, following ``next`` links."""
        found: list[str] = []
        url: str | None = self.base_url + path
        while url:
            response = self.client.get(url, headers=self.headers)
            if response.status_code != 200:
                raise LibraryError(
                    f"HTTP {response.status_code} reading {path}", status=response.status_code
                )
            body = response.json()
            found += [_catalog_id(item) for item in body["data"]]
            url = f"{self.base_url}{body['next']}" if body.get("next") else None
        return found


def _tracks(song_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    return {"data": [{"id": id_, "type": "songs"} for id_ in song_ids]}


def _catalog_id(item: Mapping[str, Any]) -> str:
    """The catalog id of a library item: ``globalId`` for playlists, ``catalogId`` otherwise."""
    play = item["attributes"]["playParams"]
    return str(play.get("globalId") or play["catalogId"])


class NaiveSync(LibrarySync):
    """Retries every failure, 400 included, and expects a JSON body on success."""

    def _post(self, type_: str, batch: Sequence[str]) -> int:
        params = {f"ids[{type_}]": ",".join(batch)}
        for attempt in range(1, 4):
            response = self.client.post(
                f"{self.base_url}/v1/me/library", params=params, headers=self.headers
            )
            if response.status_code == 202:
                response.json()  # crashes: the 202 body is empty
                return attempt
        raise LibraryError("gave up")
