"""Apple's error object and the default error of each status (mockserver/errors.py)."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator

from mockserver.errors import DEFAULT_ERRORS, TITLES, AppleError, default_error, error_id


def test_error_ids_look_like_apples() -> None:
    ids = {error_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Z2-7]{26}", i) for i in ids)


def test_status_and_code_are_strings_and_validate(errors_validator: Draft202012Validator) -> None:
    body = AppleError(400, "40004", "Parameter 'foo' is not allowed", "foo").to_json()
    errors_validator.validate({"errors": [body]})
    assert body["status"] == "400"
    assert body["code"] == "40004"
    assert body["title"] == "Invalid Parameter"
    assert body["source"] == {"parameter": "foo"}


def test_a_pointer_names_a_place_in_a_body(errors_validator: Draft202012Validator) -> None:
    body = AppleError(400, "40005", "bad", pointer="/data/0/type").to_json()
    errors_validator.validate({"errors": [body]})
    assert body["source"] == {"pointer": "/data/0/type"}


@pytest.mark.parametrize("code", sorted(TITLES))
def test_every_known_code_renders_a_valid_body(
    code: str, errors_validator: Draft202012Validator
) -> None:
    errors_validator.validate({"errors": [AppleError(int(code[:3]), code).to_json()]})


def test_message_for_display_and_title_override() -> None:
    body = AppleError(
        400, "40015", message_for_display="Insufficient Privileges", title="X"
    ).to_json()
    assert body["messageForDisplay"] == "Insufficient Privileges"
    assert body["title"] == "X"


def test_the_seen_429_body_has_no_id() -> None:
    body = default_error(429).to_json()
    assert "id" not in body
    assert (body["code"], body["detail"]) == ("42900", "Request is forbidden")


@pytest.mark.parametrize("status", [*sorted(DEFAULT_ERRORS), 402, 409, 502, 504, 599])
def test_every_status_has_an_apple_shaped_default(
    status: int, errors_validator: Draft202012Validator
) -> None:
    error = default_error(status)
    assert error.status == status
    assert error.code.startswith(str(status))
    errors_validator.validate({"errors": [error.to_json()]})
