"""The developer-token and Music-User-Token checks, through the app and the verifier."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jsonschema import Draft202012Validator

from mockserver import ManualClock, Settings, mint_developer_token
from mockserver.auth import DeveloperTokenVerifier, Rejection
from mockserver.schemas import load_schemas
from mockserver.tokens import (
    MAX_TOKEN_LIFETIME,
    b64url,
    forge_token,
    generate_private_key,
    public_key_pem,
)
from pytest_plugin import TokenFactory

from support import JSON_UTF8, SONGS, USER_TOKEN, Caller, Serve, assert_error


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": "TEAMID1234", "iat": now, "exp": now + 3600, **changes}


HEADER = {"alg": "ES256", "kid": "KEYID12345"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(reply: Any) -> None:
    assert reply.status == 401
    assert reply.body == b""
    assert reply.headers["content-type"] == JSON_UTF8


def der_signed(key: ec.EllipticCurvePrivateKey) -> str:
    return TokenFactory(key).der_signature()


REJECTED_TOKENS = {
    "missing": None,
    "not bearer": "Basic dXNlcjpwYXNz",
    "two segments": "Bearer abc.def",
    "not base64 json": "Bearer abc.def.ghi",
    "claims not an object": "Bearer "
    + ".".join([b64url(json.dumps(HEADER).encode()), b64url(b"[1]"), b64url(b"\x01" * 64)]),
    "alg HS256": "Bearer " + forge_token({**HEADER, "alg": "HS256"}, claims()),
    "alg none, unsigned": "Bearer " + forge_token({**HEADER, "alg": "none"}, claims(), b""),
    "no kid": "Bearer " + forge_token({"alg": "ES256"}, claims()),
    "kid of 9": "Bearer " + forge_token({**HEADER, "kid": "KEYID1234"}, claims()),
    "iss of 11": "Bearer " + forge_token(HEADER, claims(iss="TEAMID12345")),
    "no iat": "Bearer " + forge_token(HEADER, {k: v for k, v in claims().items() if k != "iat"}),
    "exp not a number": "Bearer " + forge_token(HEADER, claims(exp="tomorrow")),
    "iat in the future": "Bearer "
    + forge_token(HEADER, claims(iat=int(time.time()) + 3600, exp=int(time.time()) + 7200)),
    "expired": "Bearer "
    + forge_token(HEADER, claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 1)),
    # (a day past the ceiling: these tokens are made at import and used minutes later)
    "exp past the ceiling": "Bearer "
    + forge_token(HEADER, claims(exp=int(time.time()) + MAX_TOKEN_LIFETIME + 86400)),
    "exp before iat": "Bearer "
    + forge_token(HEADER, claims(iat=int(time.time()), exp=int(time.time()) - 10)),
    "empty signature": "Bearer " + forge_token(HEADER, claims(), b""),
    "DER signature": "Bearer " + der_signed(generate_private_key()),
}


@pytest.mark.parametrize("authorization", REJECTED_TOKENS.values(), ids=REJECTED_TOKENS.keys())
def test_rejected_developer_tokens_get_401_with_empty_body(
    call: Caller, authorization: str | None
) -> None:
    assert_unauthorized(call(SONGS, headers={"Authorization": authorization}))


def test_structurally_valid_token_passes_without_keys(call: Caller) -> None:
    assert call(SONGS, headers=bearer(forge_token(HEADER, claims()))).status == 202


def test_exp_at_the_ceiling_is_accepted(serve: Serve) -> None:
    clock = ManualClock(1_800_000_000)
    token = forge_token(
        HEADER,
        {"iss": "TEAMID1234", "iat": 1_800_000_000, "exp": 1_800_000_000 + MAX_TOKEN_LIFETIME},
    )
    app_call = serve(clock=clock)
    assert app_call(SONGS, headers=bearer(token)).status == 202
    clock.set(1_800_000_000 - 1)  # one second earlier, exp is past the ceiling
    assert_unauthorized(app_call(SONGS, headers=bearer(token)))


def test_token_expires_on_the_clock(serve: Serve) -> None:
    clock = ManualClock(1_800_000_000)
    token = forge_token(HEADER, {"iss": "TEAMID1234", "iat": 1_800_000_000, "exp": 1_800_000_100})
    app_call = serve(clock=clock)
    assert app_call(SONGS, headers=bearer(token)).status == 202
    clock.advance(100)
    assert_unauthorized(app_call(SONGS, headers=bearer(token)))


def test_header_names_are_case_insensitive(call: Caller, dev_token: str) -> None:
    headers = {"authorization": None, "music-user-token": None}
    assert (
        call(
            SONGS,
            headers={
                **headers,
                "AUTHORIZATION": f"Bearer {dev_token}",
                "MUSIC-USER-TOKEN": "x",
            },
        ).status
        == 202
    )
    assert (
        call(
            SONGS,
            headers={
                **headers,
                "authorization": f"bearer {dev_token}",
                "music-user-token": "x",
            },
        ).status
        == 202
    )


class TestOrigin:
    ORIGIN = "https://music.example.com"

    @pytest.fixture
    def token(self) -> str:
        return forge_token(HEADER, claims(origin=[self.ORIGIN, "https://other.example.com"]))

    def test_matching_origin_passes(self, call: Caller, token: str) -> None:
        assert call(SONGS, headers={**bearer(token), "Origin": self.ORIGIN}).status == 202

    def test_other_origin_is_401(self, call: Caller, token: str) -> None:
        assert_unauthorized(
            call(SONGS, headers={**bearer(token), "Origin": "https://evil.example"})
        )

    def test_missing_origin_is_401(self, call: Caller, token: str) -> None:
        assert_unauthorized(call(SONGS, headers=bearer(token)))


class TestSignatureVerification:
    @pytest.fixture
    def key(self) -> ec.EllipticCurvePrivateKey:
        return generate_private_key()

    def test_token_signed_by_a_configured_pem_key_passes(
        self, serve: Serve, key: ec.EllipticCurvePrivateKey
    ) -> None:
        app_call = serve(developer_keys=[public_key_pem(key)])
        assert app_call(SONGS, headers=bearer(mint_developer_token(key))).status == 202

    def test_token_signed_by_another_key_is_401(
        self, serve: Serve, key: ec.EllipticCurvePrivateKey
    ) -> None:
        app_call = serve(developer_keys=[public_key_pem(key)])
        assert_unauthorized(
            app_call(SONGS, headers=bearer(mint_developer_token(generate_private_key())))
        )

    def test_forged_signature_is_401_once_keys_are_configured(
        self, serve: Serve, key: ec.EllipticCurvePrivateKey
    ) -> None:
        app_call = serve(developer_keys=[public_key_pem(key)])
        assert_unauthorized(app_call(SONGS, headers=bearer(forge_token(HEADER, claims()))))

    def test_jwk_keys_are_accepted(self, serve: Serve, key: ec.EllipticCurvePrivateKey) -> None:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
        app_call = serve(developer_keys=[jwk])
        assert app_call(SONGS, headers=bearer(mint_developer_token(key))).status == 202

    def test_key_bound_to_a_kid_only_verifies_that_kid(
        self, serve: Serve, key: ec.EllipticCurvePrivateKey
    ) -> None:
        app_call = serve(developer_keys=[{"pem": public_key_pem(key), "kid": "KEYID12345"}])
        assert (
            app_call(SONGS, headers=bearer(mint_developer_token(key, key_id="KEYID12345"))).status
            == 202
        )
        assert_unauthorized(
            app_call(SONGS, headers=bearer(mint_developer_token(key, key_id="OTHERKEY01")))
        )

    def test_der_signature_is_rejected_even_with_the_right_key(
        self, serve: Serve, key: ec.EllipticCurvePrivateKey
    ) -> None:
        app_call = serve(developer_keys=[public_key_pem(key)])
        assert_unauthorized(app_call(SONGS, headers=bearer(der_signed(key))))


def test_unauthorized_body_can_be_an_errors_body(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    reply = serve(unauthorized_body="errors")(SONGS, headers={"Authorization": None})
    assert_error(reply, errors_validator, 401, "40100")


# --- Music-User-Token ---------------------------------------------------------------------------


def test_missing_user_token_is_403_40300(
    call: Caller, errors_validator: Draft202012Validator
) -> None:
    error = assert_error(
        call(SONGS, headers={"Music-User-Token": None}), errors_validator, 403, "40300"
    )
    assert error["title"] == "Forbidden"


def test_empty_user_token_is_treated_as_missing(
    call: Caller, errors_validator: Draft202012Validator
) -> None:
    assert_error(call(SONGS, headers={"Music-User-Token": ""}), errors_validator, 403, "40300")


def test_missing_user_token_can_be_401(serve: Serve) -> None:
    assert_unauthorized(
        serve(missing_user_token_status=401)(SONGS, headers={"Music-User-Token": None})
    )


def test_any_user_token_is_accepted_by_default(call: Caller) -> None:
    assert call(SONGS, headers={"Music-User-Token": "anything at all"}).status == 202


def test_revoked_user_token_gets_the_seen_403_body(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    reply = serve(revoked_user_tokens=[USER_TOKEN])(SONGS)
    error = assert_error(reply, errors_validator, 403, "40300")
    assert error["title"] == "Forbidden"
    assert error["detail"] == "Invalid authentication"


def test_allow_list_rejects_unknown_users(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    app_call = serve(known_user_tokens=["alice"])
    assert app_call(SONGS, headers={"Music-User-Token": "alice"}).status == 202
    assert_error(
        app_call(SONGS, headers={"Music-User-Token": "bob"}), errors_validator, 403, "40300"
    )


def test_unsubscribed_user_gets_40015(
    serve: Serve, errors_validator: Draft202012Validator
) -> None:
    error = assert_error(
        serve(unsubscribed_user_tokens=[USER_TOKEN])(SONGS), errors_validator, 400, "40015"
    )
    assert error["title"] == "Insufficient Privileges"
    assert error["messageForDisplay"] == "Insufficient Privileges"
    assert (
        error["detail"]
        == "User's subscription tier does not have access to privilege: ListeningHistory"
    )


# --- order of checks --------------------------------------------------------------------------


def test_developer_token_is_checked_before_the_user_token(call: Caller) -> None:
    assert_unauthorized(
        call("/v1/me/library?foo=1", headers={"Authorization": None, "Music-User-Token": None})
    )


def test_user_token_is_checked_before_subscription_and_query(serve: Serve) -> None:
    app_call = serve(revoked_user_tokens=["gone"], unsubscribed_user_tokens=["gone"])
    assert app_call("/v1/me/library?foo=1", headers={"Music-User-Token": "gone"}).status == 403


def test_subscription_is_checked_before_the_query(serve: Serve) -> None:
    reply = serve(unsubscribed_user_tokens=[USER_TOKEN])("/v1/me/library?foo=1")
    assert reply.error["code"] == "40015"


def test_check_order_is_configurable(serve: Serve) -> None:
    app_call = serve(check_order=["query", "developer_token", "user_token", "subscription"])
    reply = app_call("/v1/me/library?foo=1", headers={"Authorization": None})
    assert reply.status == 400
    assert reply.error["code"] == "40004"


# --- the verifier itself ------------------------------------------------------------------------


def verifier(**changes: Any) -> DeveloperTokenVerifier:
    return DeveloperTokenVerifier(Settings(**changes), load_schemas(), ManualClock())


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [
        (REJECTED_TOKENS["not bearer"], "structure"),
        (REJECTED_TOKENS["alg HS256"], "alg"),
        (REJECTED_TOKENS["alg none, unsigned"], "alg"),
        (REJECTED_TOKENS["kid of 9"], "kid"),
        (REJECTED_TOKENS["no kid"], "kid"),
        (REJECTED_TOKENS["iss of 11"], "iss"),
        (REJECTED_TOKENS["iat in the future"], "iat"),
        (REJECTED_TOKENS["expired"], "exp"),
        (REJECTED_TOKENS["exp past the ceiling"], "exp"),
        (REJECTED_TOKENS["DER signature"], "signature-shape"),
        (
            "Bearer " + forge_token({**HEADER, "alg": "HS256", "kid": "short"}, claims(iss="x")),
            "alg",
        ),
        ("Bearer " + forge_token({**HEADER, "kid": "short"}, claims(iss="x")), "kid"),
        ("Bearer " + forge_token(HEADER, claims(iss="x", exp=0)), "iss"),
        ("Bearer " + forge_token(HEADER, claims(exp=0), b"short"), "exp"),
        (
            "Bearer " + forge_token(HEADER, claims(origin=["https://a.example"]), b"short"),
            "origin",
        ),
    ],
    ids=lambda value: value if len(value) < 20 else "token",  # tokens change every run
)
def test_rejection_reasons_follow_the_contract_order(authorization: str, reason: str) -> None:
    result = verifier().check(authorization, None)
    assert isinstance(result, Rejection)
    assert result.reason == reason


def test_signature_is_verified_once_per_token() -> None:
    key = generate_private_key()
    checker = verifier(developer_keys=[public_key_pem(key)])
    authorization = "Bearer " + mint_developer_token(key)
    for _ in range(20):
        assert not isinstance(checker.check(authorization, None), Rejection)
    assert checker.signature_checks == 1


def test_token_cache_is_bounded() -> None:
    checker = verifier(token_cache_size=4)
    for index in range(10):
        checker.check("Bearer " + forge_token(HEADER, claims(nonce=index)), None)
    assert len(checker._cache) <= 4
