"""Mint ES256 developer tokens (raw R||S signatures) for tests, demos and the CLI."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .schemas import load_schemas

__all__ = [
    "DEFAULT_KEY_ID",
    "DEFAULT_TEAM_ID",
    "MAX_TOKEN_LIFETIME",
    "b64url",
    "forge_token",
    "generate_private_key",
    "load_or_create_private_key",
    "load_private_key",
    "mint_developer_token",
    "private_key_pem",
    "public_key_pem",
]

DEFAULT_KEY_ID = "MOCKKEY001"
DEFAULT_TEAM_ID = "MOCKTEAM01"

#: A token's exp may be at most this many seconds past the server's time (Apple documents
#: 15,777,000 s, six months; ``schemas/jwt-claims.schema.json``).
MAX_TOKEN_LIFETIME: int = load_schemas().document("jwt-claims.schema.json")[
    "x-max-lifetime-seconds"
]


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    """A new P-256 private key."""
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """PKCS#8 PEM text of ``key`` (what Apple's .p8 files hold)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_key_pem(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """SubjectPublicKeyInfo PEM text of ``key``'s public half (for ``developer_keys``)."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_private_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """Read a PEM (PKCS#8 or SEC1) P-256 private key."""
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(f"{path}: not a P-256 (ES256) private key")
    return key


def load_or_create_private_key(path: str | Path) -> ec.EllipticCurvePrivateKey:
    """Read the key at ``path``, or create one there (mode 0600) when the file is missing."""
    path = Path(path)
    if path.exists():
        return load_private_key(path)
    key = generate_private_key()
    path.touch(mode=0o600)
    path.write_text(private_key_pem(key), encoding="ascii")
    return key


def mint_developer_token(
    key: ec.EllipticCurvePrivateKey | None = None,
    *,
    team_id: str = DEFAULT_TEAM_ID,
    key_id: str = DEFAULT_KEY_ID,
    issued_at: float | None = None,
    lifetime: int = 3600,
    origin: Sequence[str] | None = None,
    extra_claims: Mapping[str, Any] | None = None,
    extra_header: Mapping[str, Any] | None = None,
) -> str:
    """An ES256 developer token shaped like Apple's (``kid`` header; ``iss``/``iat``/``exp``).

    >>> token = mint_developer_token(team_id="ABCDE12345", key_id="KEY1234567")
    >>> token.count(".")
    2
    """
    if lifetime <= 0:
        raise ValueError(f"lifetime={lifetime} must be > 0 seconds")
    iat = int(time.time() if issued_at is None else issued_at)
    claims: dict[str, Any] = {"iss": team_id, "iat": iat, "exp": iat + lifetime}
    if origin is not None:
        claims["origin"] = list(origin)
    claims.update(extra_claims or {})
    return jwt.encode(
        claims,
        key or generate_private_key(),
        algorithm="ES256",
        headers={"kid": key_id, **(extra_header or {})},
    )


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWTs use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge_token(
    header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes = b"\x01" * 64
) -> str:
    """A compact JWS with any header and claims and a made-up signature (64 bytes, the raw
    ES256 size, by default): for exercising the fake's refusals, never accepted where
    signatures are verified.

    >>> forge_token({"alg": "none"}, {}, b"").endswith(".")
    True
    """
    return ".".join(
        [
            b64url(json.dumps(header).encode()),
            b64url(json.dumps(claims).encode()),
            b64url(signature),
        ]
    )
