"""Minting developer tokens (mockserver/tokens.py)."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import jwt
import pytest

from mockserver import mint_developer_token
from mockserver.tokens import (
    generate_private_key,
    load_or_create_private_key,
    load_private_key,
    private_key_pem,
    public_key_pem,
)


def segment(token: str, index: int) -> bytes:
    part = token.split(".")[index]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_token_has_apples_header_and_claims() -> None:
    key = generate_private_key()
    token = mint_developer_token(
        key,
        team_id="ABCDE12345",
        key_id="KEY1234567",
        issued_at=1_800_000_000,
        lifetime=60,
        origin=["https://a.example"],
    )
    assert json.loads(segment(token, 0)) == {"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"}
    assert json.loads(segment(token, 1)) == {
        "iss": "ABCDE12345",
        "iat": 1_800_000_000,
        "exp": 1_800_000_060,
        "origin": ["https://a.example"],
    }


def test_signature_is_raw_r_s_and_verifies() -> None:
    key = generate_private_key()
    token = mint_developer_token(key)
    assert len(segment(token, 2)) == 64
    claims = jwt.decode(token, public_key_pem(key), algorithms=["ES256"])
    assert claims["iss"] == "MOCKTEAM01"


def test_lifetime_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lifetime=0 must be > 0"):
        mint_developer_token(lifetime=0)


def test_key_file_is_created_private_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    first = load_or_create_private_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    second = load_or_create_private_key(path)
    assert private_key_pem(first) == private_key_pem(second)


def test_non_p256_keys_are_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "p384.pem"
    path.write_text(private_key_pem(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(ValueError, match="not a P-256"):
        load_private_key(path)
