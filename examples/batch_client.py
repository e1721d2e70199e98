"""A small Apple Music library client, and how to test it against the fake.

The client batches catalog ids per request (Apple documents no limit; 100 keeps the request
target well under the 8,192-byte limit the fake enforces) and raises a clear error on any
refusal. Run it directly to see it work against a live fake on loopback.
"""

from __future__ import annotations

from collections.abc import Sequence

import requests

API = "https://api.music.apple.com"


class LibraryError(RuntimeError):
    """Apple refused a request; ``errors`` is the errors array (empty for a bare 401)."""

    def __init__(self, status: int, errors: list[dict[str, object]]) -> None:
        super().__init__(f"HTTP {status}: {errors}")
        self.status = status
        self.errors = errors


def add_to_library(
    session: requests.Session,
    song_ids: Sequence[str],
    *,
    developer_token: str,
    user_token: str,
    base_url: str = API,
    batch_size: int = 100,
) -> int:
    """Add ``song_ids`` in batches; returns the number of requests sent."""
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be >= 1")
    headers = {"Authorization": f"Bearer {developer_token}", "Music-User-Token": user_token}
    sent = 0
    for start in range(0, len(song_ids), batch_size):
        batch = ",".join(song_ids[start : start + batch_size])
        response = session.post(
            f"{base_url}/v1/me/library", params={"ids[songs]": batch}, headers=headers, timeout=10
        )
        sent += 1
        if response.status_code != 202:
            errors = response.json().get("errors", []) if response.content else []
            raise LibraryError(response.status_code, errors)
    return sent


def main() -> None:
    from mockserver import LiveServer, create_app, mint_developer_token

    with (
        LiveServer(create_app(revoked_user_tokens=["revoked"])) as server,
        requests.Session() as session,
    ):
        ids = [str(1_000_000_000 + n) for n in range(250)]
        token = mint_developer_token()
        sent = add_to_library(
            session, ids, developer_token=token, user_token="me", base_url=server.url
        )
        print(f"added {len(ids)} songs in {sent} requests")
        try:
            add_to_library(
                session, ids[:1], developer_token=token, user_token="revoked", base_url=server.url
            )
        except LibraryError as error:
            print(f"refused as expected: {error.status} {error.errors[0]['code']}")


if __name__ == "__main__":
    main()
