"""The settings object, its schema, and config files (mockserver/config.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver import ConfigError, Settings, load_config


def test_defaults_are_the_contracts() -> None:
    settings = Settings()
    assert settings.repeated_keys == "merge"
    assert settings.tolerated_parameters == ("representation", "format[resources]")
    assert settings.wrong_shape_ids == "ignore"
    assert settings.library_ids == "ignore"
    assert settings.max_target_length == 8192
    assert settings.unsupported_language == "ignore"
    assert settings.missing_user_token_status == 403
    assert settings.unauthorized_body == "empty"
    assert settings.success_content_type is True
    assert settings.known_user_tokens is None
    assert settings.supported_languages == {"en-US", "es-MX", "ar", "ru", "zh-Hans-CN"}


def test_to_mapping_round_trips_through_the_schema() -> None:
    settings = Settings(known_user_tokens=["b", "a"], repeated_keys="reject")
    mapping = settings.to_mapping()
    assert mapping["known_user_tokens"] == ["a", "b"]
    assert Settings.from_mapping(json.loads(json.dumps(mapping))) == settings


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"repeated_keys": "sometimes"}, "'repeated_keys': 'sometimes' is not one of"),
        ({"repeated_keys": "sometimes"}, 'allowed values: "merge", "reject"'),
        ({"max_target_length": 3}, "'max_target_length': 3 is less than the minimum of 32"),
        ({"missing_user_token_status": 404}, "allowed values: 401, 403"),
        ({"tolerated_parameters": "representation"}, "'tolerated_parameters'"),
        ({"tolerated_parameters": ["ids[songs]"]}, "'tolerated_parameters'[0]"),
        ({"storefront": "fr"}, "'storefront': 'fr' has no entry in 'languages'"),
        ({"developer_keys": ["not a key"]}, "'developer_keys'"),
    ],
)
def test_invalid_values_name_the_field_and_the_allowed_values(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings(**changes)  # type: ignore[arg-type]  # wrong values on purpose
    assert message in str(caught.value)


def test_unknown_field_in_a_mapping_lists_the_allowed_ones() -> None:
    with pytest.raises(
        ConfigError, match="unknown setting 'colour'; allowed settings: repeated_keys"
    ):
        Settings.from_mapping({"colour": "blue"})


def test_replace_validates_and_refuses_unknown_fields() -> None:
    assert Settings().replace(repeated_keys="reject").repeated_keys == "reject"
    with pytest.raises(ConfigError, match="unknown setting 'nope'"):
        Settings().replace(nope=1)
    with pytest.raises(ConfigError, match="'wrong_shape_ids'"):
        Settings().replace(wrong_shape_ids="maybe")


def test_settings_are_frozen_and_hashable_collections_are_normalised() -> None:
    settings = Settings(revoked_user_tokens=["a", "a"], tolerated_parameters=["x"])
    assert settings.revoked_user_tokens == frozenset({"a"})
    assert settings.tolerated_parameters == ("x",)
    with pytest.raises(AttributeError):
        settings.repeated_keys = "reject"  # type: ignore[misc]  # frozen: the point of the test


def test_load_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "mock.toml"
    toml.write_text('repeated_keys = "reject"\nmax_target_length = 1024\n')
    assert load_config(toml) == Settings(repeated_keys="reject", max_target_length=1024)
    js = tmp_path / "mock.json"
    js.write_text(json.dumps({"unauthorized_body": "errors"}))
    assert load_config(js).unauthorized_body == "errors"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.toml", "repeated_keys = ", "is not valid"),
        ("bad.json", "{", "is not valid"),
        ("list.json", "[]", "expected an object of settings"),
        (
            "field.toml",
            'library_ids = "drop"',
            "config file '.*field.toml': invalid setting 'library_ids'",
        ),
    ],
)
def test_bad_config_files_give_one_clear_error(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.toml")
