"""Developer and user tokens for tests: valid ones the fake trusts, and every broken kind."""

from __future__ import annotations

import base64
import itertools
import time

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from mockserver.tokens import (
    DEFAULT_KEY_ID,
    DEFAULT_TEAM_ID,
    MAX_TOKEN_LIFETIME,
    b64url,
    forge_token,
    generate_private_key,
    mint_developer_token,
    public_key_pem,
)

__all__ = ["TokenFactory"]

_users = itertools.count(1)


class TokenFactory:
    """Mints tokens signed by ``key``; configure the fake with :attr:`public_key_pem`.

    >>> tokens = TokenFactory()
    >>> tokens.valid().count(".")
    2
    """

    def __init__(
        self, key: ec.EllipticCurvePrivateKey | None = None, *, prefix: str = "amm-user"
    ) -> None:
        self.key = key or generate_private_key()
        self.prefix = prefix

    @property
    def public_key_pem(self) -> str:
        return public_key_pem(self.key)

    def valid(
        self,
        *,
        lifetime: int = 3600,
        origin: list[str] | None = None,
        team_id: str = DEFAULT_TEAM_ID,
        key_id: str = DEFAULT_KEY_ID,
    ) -> str:
        """A token the fake accepts (when it trusts :attr:`public_key_pem`, or checks no signature)."""
        return mint_developer_token(
            self.key, lifetime=lifetime, origin=origin, team_id=team_id, key_id=key_id
        )

    def expired(self) -> str:
        """Issued two hours ago, expired one hour ago."""
        return mint_developer_token(self.key, issued_at=time.time() - 7200, lifetime=3600)

    def too_long_lived(self) -> str:
        """exp past the documented 15,777,000-second ceiling."""
        return mint_developer_token(self.key, lifetime=MAX_TOKEN_LIFETIME + 3600)

    def wrong_alg(self) -> str:
        """Signed with HS256 instead of ES256."""
        import jwt

        now = int(time.time())
        claims = {"iss": DEFAULT_TEAM_ID, "iat": now, "exp": now + 3600}
        return jwt.encode(
            claims,
            "not-a-developer-key-but-long-enough",
            algorithm="HS256",
            headers={"kid": DEFAULT_KEY_ID},
        )

    def unsigned(self) -> str:
        """alg none, no signature."""
        now = int(time.time())
        claims = {"iss": DEFAULT_TEAM_ID, "iat": now, "exp": now + 3600}
        return forge_token({"alg": "none", "kid": DEFAULT_KEY_ID}, claims, b"")

    def wrong_origin(self, allowed: str = "https://allowed.example") -> str:
        """Restricted to ``allowed``: any request without that Origin is refused."""
        return self.valid(origin=[allowed])

    def revoked(self) -> str:
        """Well-formed, but signed by a key the fake does not trust."""
        return mint_developer_token(generate_private_key())

    def der_signature(self) -> str:
        """Signed by the right key, with the signature DER-encoded instead of raw R||S."""
        header, claims, signature = self.valid().split(".")
        raw = base64.urlsafe_b64decode(signature + "==")
        der = encode_dss_signature(
            int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        )
        return f"{header}.{claims}.{b64url(der)}"

    def user(self) -> str:
        """A fresh, unique Music-User-Token."""
        return f"{self.prefix}-{next(_users)}-{int(time.time() * 1000) % 10**8}"
