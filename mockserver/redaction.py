"""What never leaves the fake whole: credential-bearing headers, redacted, and tokens shown
only as salted fingerprints."""

from __future__ import annotations

import hashlib
import hmac
import os

__all__ = [
    "SECRET_MARKERS",
    "SECRET_NAMES",
    "fingerprint",
    "is_secret_header",
    "redact",
    "redact_bytes",
    "redact_target",
]

#: A header whose lower-case name contains one of these carries a credential:
#: Authorization, Music-User-Token, Media-User-Token, Cookie, Set-Cookie, X-Mock-Admin-Token,
#: X-Api-Key, Proxy-Authorization, ...
SECRET_MARKERS = ("token", "cookie", "auth", "key")

_SALT = os.urandom(16)
SECRET_NAMES: dict[bytes, bool] = {}
"""Raw header names already judged by :func:`is_secret_header` (read it first: faster)."""


def is_secret_header(name: bytes | str) -> bool:
    """Whether a header of this name is redacted everywhere the fake shows headers."""
    raw = name.encode("latin-1") if isinstance(name, str) else name
    known = SECRET_NAMES.get(raw)
    if known is None:
        lowered = raw.lower().decode("latin-1")
        known = any(marker in lowered for marker in SECRET_MARKERS)
        if len(SECRET_NAMES) < 4096:  # header names are few; hostile ones are not kept
            SECRET_NAMES[raw] = known
    return known


def redact(value: str | None) -> str | None:
    """A credential as shown in journals, logs and reports: its scheme word (``Bearer``)
    and its length, never a character of the secret itself.

    >>> redact("Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig")
    'Bearer [redacted: 28 characters]'
    >>> redact("opaque-user-token")
    '[redacted: 17 characters]'
    """
    if value is None:
        return None
    scheme, space, rest = value.partition(" ")
    if space and scheme.isalpha() and len(scheme) <= 10:
        return f"{scheme} [redacted: {len(rest)} characters]"
    return f"[redacted: {len(value)} characters]"


def redact_bytes(value: bytes) -> bytes:
    """:func:`redact` on a raw header value (latin-1 maps bytes to characters one to one)."""
    scheme, space, rest = value.partition(b" ")
    if space and scheme.isalpha() and len(scheme) <= 10:
        return b"%s [redacted: %d characters]" % (scheme, len(rest))
    return b"[redacted: %d characters]" % len(value)


def redact_target(path: str, query: bytes) -> str:
    """A request target fit for a log: the user token in an admin library path and the
    values of credential-named query parameters (``user_token=``, ``namespace=``...)
    redacted.

    >>> redact_target("/_mock/library/alice-token", b"user_token=alice&limit=5")
    '/_mock/library/[redacted]?user_token=[redacted]&limit=5'
    """
    if path.startswith("/_mock/library/"):
        path = "/_mock/library/[redacted]"
    if not query:
        return path
    pieces = []
    for piece in query.decode("latin-1").split("&"):
        name, equals, _ = piece.partition("=")
        lowered = name.lower()
        if equals and (lowered == "namespace" or any(m in lowered for m in SECRET_MARKERS)):
            piece = f"{name}=[redacted]"
        pieces.append(piece)
    return f"{path}?{'&'.join(pieces)}"


def fingerprint(token: str | None) -> str | None:
    """A stable, non-reversible handle for a token within this process (salted: the same
    token gets another fingerprint in another process), to tell users apart in reports."""
    if token is None:
        return None
    return hmac.new(_SALT, token.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]
