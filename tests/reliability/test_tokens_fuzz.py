"""Developer tokens from Hypothesis: JWT structure (segments, dots, base64url, JSON), sizes,
nesting, numbers (huge, non-finite, fractional, wrong types), algorithms and headers (crit,
jwk, kid), forged or really signed by the trusted key. Four fakes judge each token: no
signature checks, signature checks, a 1 MB ``max_token_length``, and the errors body.

Invariants: the answer is 401 or 202, never anything else; 202 only for a token that
meets every documented rule (and, where signatures are checked, is signed by the trusted
key); every request is journaled with its reason; the token never appears in the journal
or the log; the journal reads back."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwt.algorithms import ECAlgorithm

from mockserver import MockApp, create_app, public_key_pem
from mockserver.tokens import MAX_TOKEN_LIFETIME, b64url
from pytest_plugin.tokens import TokenFactory

from .conftest import Watch, assert_readable, bound, call, tally, user

pytestmark = pytest.mark.reliability

ES256 = ECAlgorithm(ECAlgorithm.SHA256)
SKEW = 60


def numbers(now: int) -> st.SearchStrategy[str]:
    """JSON number texts (and a few non-numbers) for iat and exp."""
    return st.one_of(
        st.integers(now - 10**6, now + 2 * MAX_TOKEN_LIFETIME).map(str),
        st.integers(now - 100, now + 4000).map(str),
        st.integers().map(str),
        st.sampled_from(
            [
                str(2**1024),
                str(2**63),
                str(-(2**63)),
                "9" * 5000,
                "1e400",
                "-1e400",
                "1e308",
                "NaN",
                "Infinity",
                "-Infinity",
                "0",
                "-0",
                "0.5",
                f"{now}.5",
                f"{now + 60}.0",
                "1E+3",
                "true",
                "null",
                '"1700000000"',
                "[]",
                "{}",
            ]
        ),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
    )


def strings(valid: str) -> st.SearchStrategy[str]:
    """JSON texts for kid and iss."""
    return st.one_of(
        st.just(json.dumps(valid)),
        st.text(max_size=12).map(json.dumps),
        st.sampled_from(['"ABCDEFGHI"', '"ABCDEFGHIJK"', "1234567890", "null", "[]", '"\\u0000"']),
    )


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


EXTRA_HEADER = st.sampled_from(
    [
        "",
        ',"typ":"JWT"',
        ',"crit":["exp"]',
        ',"crit":[]',
        ',"crit":"exp"',
        ',"jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}',
        ',"jku":"http://127.0.0.1:9/keys"',
        ',"x5u":"http://127.0.0.1:9/cert"',
        ',"b64":false',
        ',"zip":"DEF"',
        ',"kid":"OTHERKEY01"',
        ',"x":' + nested(1000),
        ',"x":' + nested(50),
    ]
)
EXTRA_CLAIMS = st.sampled_from(
    [
        "",
        ',"origin":["https://allowed.example"]',
        ',"origin":"https://allowed.example"',
        ',"origin":[]',
        ',"origin":null',
        ',"nbf":9999999999',
        ',"sub":"x"',
        ',"iss":"OTHERTEAM1"',
        ',"x":' + nested(1000),
        ',"x":"' + "y" * 3000 + '"',
    ]
)
ALGORITHMS = st.sampled_from(
    ['"ES256"'] * 4 + ['"HS256"', '"none"', '"None"', '"RS256"', '"ES384"', '"es256"', '""']
    + ['"ES256 "', "null", '["ES256"]', "256"]
)  # fmt: skip


@st.composite
def token_parts(draw: st.DrawFn, now: int) -> tuple[str, str]:
    """Header and claims JSON texts: a valid token with at most one hostile field, or
    hostile everywhere; some not objects or not JSON at all."""
    good = {
        "alg": '"ES256"',
        "kid": '"MOCKKEY001"',
        "extra_header": "",
        "iss": '"MOCKTEAM01"',
        "iat": str(draw(st.integers(now - 3600, now))),
        "exp": str(draw(st.integers(now + 1, now + MAX_TOKEN_LIFETIME - 5))),
        "extra_claims": "",
    }
    hostile = {
        "alg": ALGORITHMS,
        "kid": strings("MOCKKEY001"),
        "extra_header": EXTRA_HEADER,
        "iss": strings("MOCKTEAM01"),
        "iat": numbers(now),
        "exp": numbers(now),
        "extra_claims": EXTRA_CLAIMS,
    }
    # 0 (Hypothesis' favourite): a valid token; then one hostile field; the last, all
    choice = draw(st.integers(0, len(good) + 1))
    fields = dict(good)
    for index, name in enumerate(good):
        if choice in (index + 1, len(good) + 1):
            fields[name] = draw(hostile[name])
    header = "{" + f'"alg":{fields["alg"]},"kid":{fields["kid"]}{fields["extra_header"]}' + "}"
    claims = "{" + f'"iss":{fields["iss"]},"iat":{fields["iat"]},"exp":{fields["exp"]}'
    claims += fields["extra_claims"] + "}"
    broken = st.sampled_from(
        ["", "{", "[]", '"x"', "1", nested(2000), '{"a":' * 3000 + "1" + "}" * 3000, "\ufeff{}"]
    )
    if draw(st.integers(0, 9)) == 9:
        header = draw(broken)
    if draw(st.integers(0, 9)) == 9:
        claims = draw(broken)
    return header, claims


SIGNATURES = st.one_of(
    st.binary(min_size=64, max_size=64),
    st.sampled_from([b"", b"\x00" * 64, b"\xff" * 64, b"\x00" * 32 + b"\x01" * 32, b"\x01" * 72]),
    st.binary(max_size=80),
    st.binary(min_size=5000, max_size=9000),
)


def sign(message: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A raw R||S ES256 signature, deterministic (RFC 6979) where the installed cryptography
    offers it, so Hypothesis replays the same token."""
    try:
        algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    except TypeError:  # cryptography < 43: random k, still a valid signature
        algorithm = ec.ECDSA(hashes.SHA256())
    r, s = decode_dss_signature(key.sign(message, algorithm))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@st.composite
def tokens(draw: st.DrawFn, key: ec.EllipticCurvePrivateKey, now: int) -> str:
    """An Authorization value: a token, mostly really signed by ``key``, often mangled."""
    header, claims = draw(token_parts(now))
    segments = [b64url(header.encode()), b64url(claims.encode())]
    signed = not draw(st.integers(0, 3))  # mostly really signed
    signature = sign(".".join(segments).encode(), key) if signed else draw(SIGNATURES)
    token = ".".join([*segments, b64url(signature)])
    mangle = draw(
        st.sampled_from(["none"] * 12 + ["dots", "padding", "chars", "cut", "long", "spaces"])
    )
    if mangle == "dots":
        token = token.replace(".", draw(st.sampled_from(["..", "", ".x.", "."])), 1)
    elif mangle == "padding":
        token = token.replace(".", "==.", 1)
    elif mangle == "chars":
        position = draw(st.integers(0, len(token) - 1))
        token = token[:position] + draw(st.sampled_from(list("+/=!*~ \t"))) + token[position:]
    elif mangle == "cut":
        token = token[: draw(st.integers(0, len(token)))]
    elif mangle == "long":
        token += "A" * draw(st.sampled_from([8192, 20_000]))
    elif mangle == "spaces":
        token = f"  {token}  "
    scheme = draw(
        st.sampled_from(["Bearer "] * 8 + ["bearer ", "Bearer  ", "Basic ", "", "Bearer\t"])
    )
    return scheme + token


def _parts(authorization: str) -> list[str] | None:
    """The three segments of a Bearer token, read as leniently as a server might."""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "bearer" and not scheme.lower().startswith("bearer\t"):
        return None  # (the scheme is case-insensitive, RFC 9110 11.1)
    parts = (rest or scheme[len("bearer") :]).strip().split(".")
    return parts if len(parts) == 3 else None


def really_signed(authorization: str, key: ec.EllipticCurvePrivateKey) -> bool:
    """Whether what is sent still carries a valid signature by ``key`` (mangling may or may
    not have broken it: a cut at the very end, a blank before the token...)."""
    parts = _parts(authorization)
    if parts is None:
        return False
    try:
        signature = _decode(parts[2])
        message = f"{parts[0]}.{parts[1]}".encode("ascii")
    except (ValueError, UnicodeEncodeError):
        return False
    return len(signature) == 64 and bool(ES256.verify(message, key.public_key(), signature))


def acceptable(authorization: str, now: float) -> bool:
    """An independent reading of the documented rules (necessary, not sufficient): could a
    fake accept this token?"""
    parts = _parts(authorization)
    if parts is None:
        return False
    try:
        header, claims = (json.loads(_decode(part)) for part in parts[:2])
        signature = _decode(parts[2])
    except (ValueError, RecursionError):
        return False
    if not (isinstance(header, dict) and isinstance(claims, dict)):
        return False
    iat, exp = claims.get("iat"), claims.get("exp")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (iat, exp)):
        return False
    assert isinstance(iat, (int, float))
    assert isinstance(exp, (int, float))
    return (
        header.get("alg") == "ES256"
        and "crit" not in header
        and isinstance(header.get("kid"), str)
        and len(header["kid"]) == 10
        and isinstance(claims.get("iss"), str)
        and len(claims["iss"]) == 10
        and iat <= now + SKEW
        and now < exp
        and iat < exp
        and exp - now <= MAX_TOKEN_LIFETIME
        and claims.get("origin") is None
        and len(signature) == 64
    )


def _decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def judges(key: ec.EllipticCurvePrivateKey) -> dict[str, tuple[MockApp, bool]]:
    """The fakes that judge each token, and whether each checks signatures."""
    return {
        "structural": (create_app(), False),
        "verifying": (create_app(developer_keys=[public_key_pem(key)]), True),
        "roomy": (create_app(max_token_length=1_048_576), False),
        "errors body": (create_app(unauthorized_body="errors", max_token_length=512), False),
    }


def judge(
    apps: dict[str, tuple[MockApp, bool]],
    authorization: str,
    key: ec.EllipticCurvePrivateKey,
    music_user: str,
    watch: Watch,
) -> None:
    now = time.time()
    signed = really_signed(authorization, key)
    for name, (app, verifying) in apps.items():
        before = app.mock.journal_stats()["total"]
        headers = [
            (b"authorization", authorization.encode("utf-8")),
            (b"music-user-token", music_user.encode()),
        ]
        reply = call(app, "POST", "/v1/me/library?ids[songs]=1564531202", headers)
        assert reply.status in (202, 401), (name, reply, authorization[:200])
        if reply.status == 202:
            assert reply.body == b""
            assert acceptable(authorization, now), (name, authorization[:300])
            assert signed or not verifying, (name, authorization[:300])
            tally("token fuzzing", **{f"accepted by {name}": 1})
        else:
            if name == "errors body":
                assert json.loads(reply.body)["errors"][0]["code"] == "40100"
            else:
                assert reply.body == b""
        (entry,) = app.mock.journal_entries(limit=1)
        assert entry.seq > before
        assert entry.status == reply.status
        assert reply.status == 202 or entry.reason, entry
        token = authorization.split()[-1] if authorization.split() else ""
        shown = json.dumps(entry.to_json())
        if len(token) >= 24:
            assert token not in shown, (name, shown[:300])
        watch.check_text(shown, "the journal")
    tally("token fuzzing", tokens=1, requests=len(apps))
    watch.assert_clean()


def test_fuzzed_tokens_are_401_or_a_justified_202(
    signing_key: ec.EllipticCurvePrivateKey, watch: Watch
) -> None:
    apps = judges(signing_key)
    music_user = user("tokens")
    examples = bound(120, 4000)
    start = int(time.time())  # tokens are minted around this time (strategies are pure)

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        authorization = data.draw(tokens(signing_key, start))
        judge(apps, authorization, signing_key, music_user, watch)

    run()
    for app, _ in apps.values():
        assert_readable(app, watch)
    tally("token fuzzing", hypothesis_examples=examples)


KNOWN_ATTACKS: dict[str, Any] = {
    "alg none, no signature": ('{"alg":"none","kid":"MOCKKEY001"}', b""),
    "HS256 with the public key as secret": ("HS256", None),
    "psychic signature (r = s = 0)": ('{"alg":"ES256","kid":"MOCKKEY001"}', b"\x00" * 64),
    "r = s = n (the curve order)": (
        '{"alg":"ES256","kid":"MOCKKEY001"}',
        bytes.fromhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551") * 2,
    ),
    "embedded jwk of the attacker": ("jwk", None),
    "DER signature": ("der", None),
}


@pytest.mark.parametrize("attack", list(KNOWN_ATTACKS))
def test_known_signature_attacks_are_refused_where_signatures_are_checked(
    attack: str, signing_key: ec.EllipticCurvePrivateKey, watch: Watch
) -> None:
    app = create_app(developer_keys=[public_key_pem(signing_key)])
    now = int(time.time())
    claims = {"iss": "MOCKTEAM01", "iat": now, "exp": now + 600}
    header_text, signature = KNOWN_ATTACKS[attack]
    if header_text == "HS256":
        token = _hs256_with_public_key(claims, public_key_pem(signing_key))
    elif header_text == "jwk":
        attacker = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(ECAlgorithm.to_jwk(attacker.public_key()))
        token = jwt.encode(
            claims, attacker, algorithm="ES256", headers={"kid": "MOCKKEY001", "jwk": jwk}
        )
    elif header_text == "der":
        token = TokenFactory(signing_key).der_signature()
    else:
        segments = [b64url(header_text.encode()), b64url(json.dumps(claims).encode())]
        token = ".".join([*segments, b64url(signature)])
    watch.secret(token)
    reply = call(
        app,
        "POST",
        "/v1/me/library?ids[songs]=1",
        {"Authorization": f"Bearer {token}", "Music-User-Token": user()},
    )
    assert reply.status == 401
    assert app.mock.journal_entries()[-1].reason
    assert_readable(app, watch)
    tally("token fuzzing", known_attacks=1)


def _hs256_with_public_key(claims: dict[str, Any], secret: str) -> str:
    header = b64url(b'{"alg":"HS256","kid":"MOCKKEY001"}')
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(mac)}"
