"""Developer-token and Music-User-Token checks (README, "What the fake checks")."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from jwt.algorithms import ECAlgorithm
from jwt.exceptions import InvalidKeyError

from .clock import Clock
from .config import Settings
from .errors import AppleError, ConfigError
from .schemas import SchemaSet
from .tokens import MAX_TOKEN_LIFETIME

__all__ = [
    "DeveloperKey",
    "DeveloperToken",
    "DeveloperTokenVerifier",
    "Rejection",
    "UserTokenPolicy",
    "UserTokenSource",
    "load_developer_keys",
]

_ES256 = ECAlgorithm(ECAlgorithm.SHA256)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a developer token was refused (the response is a 401 either way)."""

    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class DeveloperToken:
    """A developer token whose structure passed; claims as sent."""

    raw: str
    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def key_id(self) -> str:
        return str(self.header["kid"])

    @property
    def team_id(self) -> str:
        return str(self.claims["iss"])


@dataclass(frozen=True, slots=True)
class DeveloperKey:
    """A public key that signs trusted tokens; ``kid`` None matches any key id."""

    key: Any
    kid: str | None = None


def load_developer_keys(specs: Sequence[str | Mapping[str, Any]]) -> tuple[DeveloperKey, ...]:
    """Load PEM strings, JWK mappings or ``{pem, kid}`` mappings; bad keys -> ConfigError."""
    keys = []
    for index, spec in enumerate(specs):
        problem = f"invalid setting 'developer_keys'[{index}]: not an EC P-256 (ES256) public key"
        try:
            if isinstance(spec, str):
                key = DeveloperKey(_ES256.prepare_key(spec))
            elif "pem" in spec:
                key = DeveloperKey(_ES256.prepare_key(spec["pem"]), spec.get("kid"))
            else:
                key = DeveloperKey(_ES256.from_jwk(dict(spec)), spec.get("kid"))
        except (InvalidKeyError, ValueError, TypeError) as error:
            reason = str(error) if "generator object" not in str(error) else type(error).__name__
            raise ConfigError(f"{problem} ({reason})") from None
        curve = getattr(key.key, "curve", None)
        if getattr(curve, "name", None) != "secp256r1":
            found = getattr(curve, "name", type(key.key).__name__)
            raise ConfigError(f"{problem} (this key is {found})")
        keys.append(key)
    return tuple(keys)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _segment(segment: str) -> Any:
    """One token segment as JSON: base64url, UTF-8, no NaN/Infinity, bounded nesting."""
    try:
        return json.loads(_b64decode(segment), parse_constant=_no_constants)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


_Entry = TypeVar("_Entry")
_HEADER_ORDER = ("alg", "kid")
_CLAIM_ORDER = ("iss", "iat", "exp", "origin")


class DeveloperTokenVerifier:
    """Checks ``Authorization: Bearer <developer token>``.

    Order: structure, ``alg``, ``kid``/``iss``, ``iat``/``exp``, ``origin``, signature shape,
    then the signature itself when keys are configured. Parsing and signature verification
    are cached per token string; time and origin are checked on every request.
    """

    def __init__(self, settings: Settings, schemas: SchemaSet, clock: Clock) -> None:
        self.clock = clock
        self.skew = settings.clock_skew_seconds
        self.keys = load_developer_keys(settings.developer_keys)
        self.cache_size = settings.token_cache_size
        self.max_length = settings.max_token_length
        self.authorization = schemas.validator("headers.schema.json#/properties/authorization")
        self.header_validator = schemas.validator("jwt-header.schema.json")
        self.claims_validator = schemas.validator("jwt-claims.schema.json")
        self.signature_checks = 0
        self._cache: dict[str, tuple[DeveloperToken, Rejection | None]] = {}
        # Tokens known good (signature verified, no origin claim) -> the times between which
        # their iat/exp checks pass: a repeat within that window is one dictionary lookup.
        self._good: dict[str, tuple[DeveloperToken, float, float]] = {}

    def check(
        self, authorization: str | None, origin: str | None, now: float | None = None
    ) -> DeveloperToken | Rejection:
        """The token, or why it is refused; ``now`` defaults to the clock's."""
        if authorization is None:
            return Rejection("missing", "no Authorization header")
        if now is None:
            now = self.clock.now()
        good = self._good.get(authorization)
        if good is not None and good[1] <= now < good[2]:
            return good[0]
        cached = self._cache.get(authorization)
        if cached is None:
            if len(authorization) > self.max_length:
                return Rejection(
                    "structure",
                    f"Authorization is {len(authorization)} characters; the limit is "
                    f"max_token_length={self.max_length}",
                )
            parsed = self._parse(authorization)
            if isinstance(parsed, Rejection):
                return parsed
            cached = (parsed, self._check_signature(parsed))
            if self.cache_size:
                self._remember(self._cache, authorization, cached)
        token, signature_rejection = cached
        rejection = self._check_time_and_origin(token, origin, now) or signature_rejection
        if rejection is not None:
            return rejection
        if self.cache_size and "origin" not in token.claims:
            iat, exp = token.claims["iat"], token.claims["exp"]
            window = (token, max(iat - self.skew, exp - MAX_TOKEN_LIFETIME), exp)
            self._remember(self._good, authorization, window)
        return token

    def peek(self, authorization: str | None) -> tuple[str | None, str | None]:
        """(iss, kid) of a token without judging it: what rules may match on."""
        if authorization is None:
            return None, None
        cached = self._cache.get(authorization)
        if cached is not None:
            return cached[0].team_id, cached[0].key_id
        if len(authorization) > self.max_length:
            return None, None
        parts = authorization.partition(" ")[2].strip().split(".")
        if len(parts) != 3:
            return None, None
        try:
            header, claims = _segment(parts[0]), _segment(parts[1])
        except (binascii.Error, ValueError):
            return None, None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return None, None
        iss, kid = claims.get("iss"), header.get("kid")
        return (iss if isinstance(iss, str) else None), (kid if isinstance(kid, str) else None)

    def _remember(self, cache: dict[str, _Entry], key: str, entry: _Entry) -> None:
        while len(cache) >= self.cache_size:
            try:
                del cache[next(iter(cache))]
            except (KeyError, StopIteration, RuntimeError):  # raced with another thread
                break
        cache[key] = entry

    def _parse(self, authorization: str) -> DeveloperToken | Rejection:
        if not self.authorization.is_valid(authorization):
            return Rejection("structure", "Authorization is not 'Bearer <header>.<claims>.<sig>'")
        raw = authorization.split(" ", 1)[1].strip()
        header_b64, claims_b64, signature_b64 = raw.split(".")
        try:
            header, claims = _segment(header_b64), _segment(claims_b64)
            signature = _b64decode(signature_b64)
        except (binascii.Error, ValueError) as error:
            return Rejection("structure", f"token segments are not base64url JSON ({error})")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return Rejection("structure", "token header and claims must be JSON objects")
        if "crit" in header:  # RFC 7515 4.1.11: critical extensions this verifier does not know
            return Rejection("crit", "the token names critical header parameters ('crit')")
        for validator, data, order in (
            (self.header_validator, header, _HEADER_ORDER),
            (self.claims_validator, claims, _CLAIM_ORDER),
        ):
            problems = []
            for problem in validator.iter_errors(data):
                if problem.validator == "required":
                    name = next(n for n in problem.validator_value if n not in data)
                else:
                    name = str(problem.path[0]) if problem.path else "structure"
                rank = order.index(name) if name in order else len(order)
                problems.append((rank, name, problem.message))
            if problems:
                _, name, message = min(problems)
                return Rejection(name, message if len(message) <= 200 else message[:197] + "...")
        signing_input = f"{header_b64}.{claims_b64}".encode("ascii")
        return DeveloperToken(raw, header, claims, signing_input, signature)

    def _check_time_and_origin(
        self, token: DeveloperToken, origin: str | None, now: float | None
    ) -> Rejection | None:
        if now is None:
            now = self.clock.now()
        iat, exp = token.claims["iat"], token.claims["exp"]
        if iat > now + self.skew:
            return Rejection("iat", f"iat {iat} is in the future (now {int(now)})")
        if exp <= now:
            return Rejection("exp", f"token expired at {exp} (now {int(now)})")
        if exp <= iat:
            return Rejection("exp", f"exp {exp} is not after iat {iat}")
        if exp - now > MAX_TOKEN_LIFETIME:
            return Rejection(
                "exp", f"exp is {int(exp - now)} s away; the limit is {MAX_TOKEN_LIFETIME} s"
            )
        origins = token.claims.get("origin")
        if origins is not None and origin not in origins:
            return Rejection("origin", f"Origin {origin!r} is not in the token's origin claim")
        return None

    def _check_signature(self, token: DeveloperToken) -> Rejection | None:
        if len(token.signature) != 64:
            return Rejection(
                "signature-shape",
                f"ES256 signature must be 64 raw bytes (R||S), got {len(token.signature)}"
                " (a DER-encoded signature is rejected)",
            )
        if not self.keys:
            return None
        self.signature_checks += 1
        kid = token.key_id
        for key in self.keys:
            if key.kid in (None, kid) and _ES256.verify(
                token.signing_input, key.key, token.signature
            ):
                return None
        return Rejection("signature", "signature does not verify against any configured key")


_FORBIDDEN_DETAIL = "Invalid authentication"


class UserTokenPolicy:
    """Decides what a Music-User-Token gets: through, 401, 403 40300, or 400 40015."""

    def __init__(self, settings: Settings, schemas: SchemaSet) -> None:
        self.missing_status = settings.missing_user_token_status
        self.known = settings.known_user_tokens
        self.revoked = settings.revoked_user_tokens
        self.unsubscribed = settings.unsubscribed_user_tokens
        # The schema's rule for the header (a string of minLength), read once: checking it
        # is a length comparison, not a schema walk per request.
        schema = schemas.document("headers.schema.json")["properties"]["music-user-token"]
        self.min_length = int(schema["minLength"])

    def check(self, token: str | None) -> AppleError | int | None:
        """None when accepted; 401 when the answer is the unauthorized response; else the error."""
        if token is None or len(token) < self.min_length:
            if self.missing_status == 401:
                return 401
            return AppleError(403, "40300", _FORBIDDEN_DETAIL)
        if token in self.revoked or (self.known is not None and token not in self.known):
            return AppleError(403, "40300", _FORBIDDEN_DETAIL)
        return None

    def check_subscription(self, token: str | None) -> AppleError | None:
        if token in self.unsubscribed:
            return AppleError(
                400,
                "40015",
                "User's subscription tier does not have access to privilege: ListeningHistory",
                message_for_display="Insufficient Privileges",
            )
        return None


class UserTokenSource:
    """Which request header carries the user token (setting ``user_token_headers``): per
    host (the ``Host`` header without its port; ``*`` for any other), the first present
    header of those listed.

    >>> source = UserTokenSource({"*": ["music-user-token"]})
    >>> source.find({"music-user-token": "u"})
    ('u', 'music-user-token')
    """

    def __init__(self, by_host: Mapping[str, Sequence[str]]) -> None:
        hosts = {host: tuple(names) for host, names in by_host.items()}
        self.default = hosts.pop("*")
        self.by_host = hosts
        #: Music-User-Token comes first on every host (the default): when present it wins,
        #: whatever the host, without looking the host up.
        self.music_first = all(
            names[0] == "music-user-token" for names in (self.default, *hosts.values())
        )

    def find(self, headers: Mapping[str, str]) -> tuple[str, str] | None:
        if self.music_first:
            value = headers.get("music-user-token")
            if value is not None:
                return value, "music-user-token"
        names = self.default
        if self.by_host:
            host = headers.get("host")
            if host is not None:
                names = self.by_host.get(_hostname(host), names)
        for name in names:
            value = headers.get(name)
            if value is not None:
                return value, name
        return None


def _hostname(host: str) -> str:
    """The name of a Host header, lower case, without its port."""
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.partition(":")[0].lower()
