"""What never leaves the fake whole (mockserver/redaction.py)."""

from __future__ import annotations

import pytest

from mockserver.redaction import fingerprint, is_secret_header, redact, redact_bytes


def test_redact_keeps_no_character_of_the_secret(dev_token: str) -> None:
    shown = redact(f"Bearer {dev_token}")
    assert shown == f"Bearer [redacted: {len(dev_token)} characters]"
    assert redact(dev_token) == f"[redacted: {len(dev_token)} characters]"
    for secret in ("ab", "short-user-token", dev_token):
        assert secret[:3] not in (redact(secret) or "")
    assert redact(None) is None
    assert redact_bytes(b"Bearer abc") == b"Bearer [redacted: 3 characters]"


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "music-user-token",
        "Media-User-Token",
        "Cookie",
        "set-cookie",
        "X-Mock-Admin-Token",
        "x-api-key",
        "Proxy-Authorization",
        b"x-auth-hash",
    ],
)
def test_credential_headers_are_secret(name: str | bytes) -> None:
    assert is_secret_header(name)


@pytest.mark.parametrize("name", ["content-type", "origin", "x-client", b"host", "accept"])
def test_other_headers_are_shown(name: str | bytes) -> None:
    assert not is_secret_header(name)


def test_fingerprints_are_stable_distinct_and_not_the_token() -> None:
    assert fingerprint("alice") == fingerprint("alice") != fingerprint("bob")
    assert "alice" not in (fingerprint("alice") or "")
    assert len(fingerprint("alice") or "") == 16
    assert fingerprint(None) is None
