"""Apple-shaped error bodies (mockserver/errors.py)."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator

from mockserver.errors import (
    JSON_CONTENT_TYPE,
    TITLES,
    AppleError,
    empty_response,
    error_id,
    errors_response,
)


def test_error_ids_look_like_apples() -> None:
    ids = {error_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Z2-7]{26}", i) for i in ids)


def test_status_and_code_are_strings_and_validate(errors_validator: Draft202012Validator) -> None:
    response = errors_response(AppleError(400, "40004", "Parameter 'foo' is not allowed", "foo"))
    body = json.loads(bytes(response.body))
    errors_validator.validate(body)
    (error,) = body["errors"]
    assert error["status"] == "400"
    assert error["code"] == "40004"
    assert error["title"] == "Invalid Parameter"
    assert error["source"] == {"parameter": "foo"}
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_CONTENT_TYPE


@pytest.mark.parametrize("code", sorted(TITLES))
def test_every_known_code_renders_a_valid_body(
    code: str, errors_validator: Draft202012Validator
) -> None:
    response = errors_response(AppleError(int(code[:3]), code))
    errors_validator.validate(json.loads(bytes(response.body)))


def test_message_for_display_and_title_override() -> None:
    body = AppleError(
        400, "40015", message_for_display="Insufficient Privileges", title="X"
    ).to_json()
    assert body["messageForDisplay"] == "Insufficient Privileges"
    assert body["title"] == "X"


def test_empty_response_has_zero_length_and_optional_content_type() -> None:
    response = empty_response(202)
    assert response.body == b""
    assert response.headers["content-length"] == "0"
    assert response.headers["content-type"] == JSON_CONTENT_TYPE
    assert "content-type" not in empty_response(202, content_type=False).headers


def test_errors_response_needs_an_error() -> None:
    with pytest.raises(ValueError, match="at least one error"):
        errors_response()
