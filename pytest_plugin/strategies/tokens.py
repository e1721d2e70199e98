"""Developer tokens, valid and broken in every way the fake refuses, and user tokens."""

from __future__ import annotations

import string
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.tokens import (
    DEFAULT_KEY_ID,
    DEFAULT_TEAM_ID,
    MAX_TOKEN_LIFETIME,
    forge_token,
    generate_private_key,
    mint_developer_token,
)

from ..tokens import TokenFactory

__all__ = ["developer_tokens", "invalid_developer_tokens", "music_user_tokens"]


_ids10 = st.text(string.ascii_uppercase + string.digits, min_size=10, max_size=10)


def developer_tokens(
    key: ec.EllipticCurvePrivateKey | None = None,
    *,
    min_lifetime: int = 60,
    max_lifetime: int = MAX_TOKEN_LIFETIME - 60,
) -> st.SearchStrategy[str]:
    """Valid ES256 developer tokens (raw R||S signature) signed by ``key`` (a fresh key when
    omitted: configure the fake with its public key, or verify no signatures)."""
    if key is not None and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidArgument(f"key={key!r} must be an EC private key (P-256)")
    if not 1 <= min_lifetime <= max_lifetime <= MAX_TOKEN_LIFETIME:
        raise InvalidArgument(
            f"need 1 <= min_lifetime={min_lifetime} <= max_lifetime={max_lifetime}"
            f" <= {MAX_TOKEN_LIFETIME}"
        )
    signing_key = key or generate_private_key()
    return st.builds(
        lambda team, kid, lifetime: mint_developer_token(
            signing_key, team_id=team, key_id=kid, lifetime=lifetime
        ),
        _ids10,
        _ids10,
        st.integers(min_lifetime, max_lifetime),
    )


def invalid_developer_tokens(
    key: ec.EllipticCurvePrivateKey | None = None,
) -> st.SearchStrategy[tuple[str, str]]:
    """(token, reason) for every 401 cause (README, "What the fake checks"), the reason as the fake's
    verifier reports it. ``signature`` tokens only fail where the fake verifies signatures
    with ``key``'s public key; ``origin`` ones only where the request has no matching Origin."""
    if key is not None and not isinstance(key, ec.EllipticCurvePrivateKey):
        raise InvalidArgument(f"key={key!r} must be an EC private key (P-256)")
    factory = TokenFactory(key)

    def claims(**changes: Any) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": DEFAULT_TEAM_ID, "iat": now, "exp": now + 3600, **changes}

    header = {"alg": "ES256", "kid": DEFAULT_KEY_ID}
    short = st.text(string.ascii_uppercase, min_size=0, max_size=9)
    long = st.text(string.ascii_uppercase, min_size=11, max_size=20)
    garbage = st.text(string.ascii_letters + string.digits + "-_.", max_size=40).filter(
        lambda s: s.count(".") != 2
    )
    cases: list[st.SearchStrategy[tuple[str, str]]] = [
        garbage.map(lambda s: (s or "x", "structure")),
        st.sampled_from(["HS256", "RS256", "ES384", "none"]).map(
            lambda alg: (forge_token({**header, "alg": alg}, claims()), "alg")
        ),
        st.one_of(short, long).map(
            lambda kid: (forge_token({**header, "kid": kid}, claims()), "kid")
        ),
        st.one_of(short, long).map(lambda iss: (forge_token(header, claims(iss=iss)), "iss")),
        st.integers(600, 10**6).map(
            lambda ahead: (
                forge_token(
                    header, claims(iat=int(time.time()) + ahead, exp=int(time.time()) + ahead + 60)
                ),
                "iat",
            )
        ),
        st.integers(1, 10**6).map(
            lambda ago: (
                forge_token(
                    header, claims(iat=int(time.time()) - ago - 60, exp=int(time.time()) - ago)
                ),
                "exp",
            )
        ),
        st.integers(3600, 10**7).map(
            lambda over: (
                forge_token(header, claims(exp=int(time.time()) + MAX_TOKEN_LIFETIME + over)),
                "exp",
            )
        ),
        st.just("https://allowed.example").map(lambda o: (factory.wrong_origin(o), "origin")),
        st.just(None).map(lambda _: (factory.der_signature(), "signature-shape")),
        st.just(None).map(lambda _: (factory.revoked(), "signature")),
    ]
    return st.one_of(cases)


def music_user_tokens() -> st.SearchStrategy[str]:
    """Opaque, non-empty Music-User-Tokens (base64-like, safe in a header)."""
    return st.text(string.ascii_letters + string.digits + "+/=_-", min_size=1, max_size=200)
