"""The one settings object, validated by ``schemas/config.schema.json``."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError
from .schemas import load_schemas
from .validation import (
    check_finite,
    checked_catalog,
    schema_message,
    validate_catalog,
    validate_rule,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "DEFAULT_LANGUAGES",
    "DEFAULT_STOREFRONTS",
    "DEFAULT_USER_TOKEN_HEADERS",
    "SERVER_WIDE",
    "Settings",
    "check_finite",
    "load_config",
    "validate_catalog",
    "validate_rule",
]

CheckName = Literal["developer_token", "user_token", "subscription", "query"]

#: Storefront -> default and supported language tags (Apple's documentation for us and jp).
DEFAULT_LANGUAGES: Mapping[str, Mapping[str, Any]] = {
    "us": {"default": "en-US", "supported": ["en-US", "es-MX", "ar", "ru", "zh-Hans-CN"]},
    "jp": {"default": "ja", "supported": ["ja", "en-US"]},
}


#: Apple Music's storefront codes (the default of the ``storefronts`` setting, from the schema).
DEFAULT_STOREFRONTS: frozenset[str] = frozenset(
    load_schemas().document("config.schema.json")["properties"]["storefronts"]["default"]
)

#: The web player's catalog parameters the fake ignores (``web_player_parameters``' default).
DEFAULT_WEB_PLAYER_PARAMETERS: tuple[str, ...] = tuple(
    load_schemas().document("config.schema.json")["properties"]["web_player_parameters"]["default"]
)

#: Host -> the headers that carry the user token there ("*": any other host).
DEFAULT_USER_TOKEN_HEADERS: Mapping[str, Sequence[str]] = {
    "*": ("music-user-token",),
    "amp-api.music.apple.com": ("music-user-token", "media-user-token"),
}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """How the fake behaves. Every field is documented in ``schemas/config.schema.json``.

    Defaults are the contract's; fields marked [guess] there are the fake's choices.

    >>> Settings(repeated_keys="reject").repeated_keys
    'reject'
    """

    repeated_keys: Literal["merge", "reject"] = "merge"
    tolerated_parameters: Sequence[str] = ("representation", "format[resources]")
    web_player_parameters: Sequence[str] = DEFAULT_WEB_PLAYER_PARAMETERS
    wrong_shape_ids: Literal["ignore", "reject"] = "ignore"
    library_ids: Literal["ignore", "reject"] = "ignore"
    max_target_length: int = 8192
    unsupported_language: Literal["ignore", "reject"] = "ignore"
    empty_language: Literal["ignore", "reject"] = "ignore"
    posix_language: Literal["ignore", "reject"] = "reject"
    errors_per_answer: Literal["all", "first"] = "all"
    storefront: str = "us"
    storefronts: Collection[str] = field(default_factory=lambda: DEFAULT_STOREFRONTS)
    unknown_storefront_status: Literal[400, 404] = 400
    user_storefronts: Mapping[str, str] = field(default_factory=dict)
    song_adds_album: bool = True
    languages: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    missing_user_token_status: Literal[401, 403] = 403
    unauthorized_body: Literal["empty", "errors"] = "empty"
    method_not_allowed_body: Literal["errors", "empty"] = "errors"
    success_content_type: bool = True
    cors_allowed_origins: Sequence[str] = ("*",)
    cors_allow_methods: Sequence[str] = ("GET", "POST", "PUT", "PATCH", "DELETE")
    cors_allow_headers: Sequence[str] = (
        "Authorization",
        "Music-User-Token",
        "Media-User-Token",
        "Content-Type",
    )
    cors_expose_headers: Sequence[str] = ()
    cors_max_age: int = 86400
    user_token_headers: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: dict(DEFAULT_USER_TOKEN_HEADERS)
    )
    developer_keys: Sequence[str | Mapping[str, Any]] = ()
    known_user_tokens: Collection[str] | None = None
    revoked_user_tokens: Collection[str] = ()
    unsubscribed_user_tokens: Collection[str] = ()
    clock_skew_seconds: int = 60
    check_order: Sequence[CheckName] = ("developer_token", "user_token", "subscription", "query")
    token_cache_size: int = 1024
    rules: Sequence[Mapping[str, Any]] = ()
    rate_limit: Mapping[str, Any] | None = None
    catalog: Mapping[str, Any] | None = None
    """A catalog document (``schemas/catalog.schema.json``); see :class:`~mockserver.Catalog`."""
    unavailable_ids: Mapping[str, Sequence[str]] = field(default_factory=dict)
    drop_rate: float = 0.0
    visibility_delay_seconds: float = 0.0
    seed: int = 0
    journal_size: int = 10_000
    journal_max_bytes: int = 64 * 1024 * 1024
    max_token_length: int = 8192
    max_users: int = 10_000
    max_library_items: int = 100_000
    max_rules: int = 100_000
    admin_max_body_bytes: int = 1024 * 1024
    max_body_bytes: int = 1024 * 1024
    max_connections: int = 1000
    header_timeout_seconds: float = 10.0
    shutdown_timeout_seconds: float = 5.0
    admin_token: str | None = None

    def __post_init__(self) -> None:
        freeze = object.__setattr__
        for name in _INTEGERS:  # 1e6 from a JSON body is a valid integer: keep it an int
            value = getattr(self, name)
            if isinstance(value, float) and value.is_integer():
                freeze(self, name, int(value))
        _validate(self.to_mapping(skip="catalog"))
        if self.catalog is not None:  # checked and owned: a copy nobody else can change
            freeze(self, "catalog", checked_catalog(self.catalog))
        freeze(self, "tolerated_parameters", tuple(self.tolerated_parameters))
        freeze(self, "web_player_parameters", tuple(self.web_player_parameters))
        for name in ("cors_allowed_origins", "cors_allow_methods", "cors_allow_headers"):
            freeze(self, name, tuple(getattr(self, name)))
        freeze(self, "cors_expose_headers", tuple(self.cors_expose_headers))
        freeze(
            self,
            "user_token_headers",
            {host: tuple(names) for host, names in self.user_token_headers.items()},
        )
        freeze(self, "developer_keys", tuple(self.developer_keys))
        freeze(self, "check_order", tuple(self.check_order))
        freeze(self, "rules", tuple(json.loads(json.dumps(list(self.rules)))))
        freeze(self, "storefronts", frozenset(self.storefronts))
        freeze(self, "user_storefronts", dict(self.user_storefronts))
        freeze(self, "revoked_user_tokens", frozenset(self.revoked_user_tokens))
        freeze(self, "unsubscribed_user_tokens", frozenset(self.unsubscribed_user_tokens))
        if self.known_user_tokens is not None:
            freeze(self, "known_user_tokens", frozenset(self.known_user_tokens))
        freeze(self, "languages", {**DEFAULT_LANGUAGES, **self.languages})
        if self.storefront not in self.languages:
            raise ConfigError(
                f"invalid setting 'storefront': {self.storefront!r} has no entry in 'languages'"
                f" (known: {', '.join(sorted(self.languages))})"
            )

    @property
    def supported_languages(self) -> frozenset[str]:
        """The language tags the configured storefront supports."""
        return frozenset(self.languages[self.storefront]["supported"])

    def to_mapping(self, *, skip: str | None = None) -> dict[str, Any]:
        """The settings as a JSON-compatible mapping (the config file format), but ``skip``."""
        result: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            if item.name == skip:
                continue
            value = getattr(self, item.name)
            if isinstance(value, (frozenset, set)):
                value = sorted(value)
            try:
                result[item.name] = json.loads(json.dumps(value))  # tuples become lists
            except (TypeError, ValueError) as error:
                raise ConfigError(f"invalid setting {item.name!r}: {error}") from None
        return result

    def changes_from(self, base: Settings) -> dict[str, Any]:
        """The fields whose values differ from ``base``'s, with this object's values.

        >>> Settings(seed=3).changes_from(Settings())
        {'seed': 3}
        """
        return {
            item.name: getattr(self, item.name)
            for item in dataclasses.fields(self)
            if getattr(self, item.name) != getattr(base, item.name)
        }

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (validated like the constructor)."""
        unknown = set(changes) - {item.name for item in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(_unknown_message(sorted(unknown)[0]))
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "config") -> Settings:
        """Settings from a parsed config file or admin request body."""
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{source}: expected an object of settings, got {type(data).__name__}"
            )
        try:
            if data.get("catalog") is not None:  # checked once, and the copy kept
                data = {**data, "catalog": checked_catalog(data["catalog"])}
            _validate(data)
            return cls(**data)
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None


_INTEGERS = tuple(
    name
    for name, spec in load_schemas().document("config.schema.json")["properties"].items()
    if spec.get("type") == "integer"
)


def load_config(path: str | Path) -> Settings:
    """Read a TOML (``.toml``) or JSON config file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read config file {str(path)!r}: {error.strerror}") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"config file {str(path)!r} is not valid: {error}") from None
    return Settings.from_mapping(data, source=f"config file {str(path)!r}")


def _unknown_message(name: str) -> str:
    allowed = ", ".join(item.name for item in dataclasses.fields(Settings))
    return f"unknown setting {name!r}; allowed settings: {allowed}"


def _validate(data: Mapping[str, Any]) -> None:
    if data.get("catalog") is not None:  # checked apart: item by item, each item once
        checked_catalog(data["catalog"])
        data = {name: value for name, value in data.items() if name != "catalog"}
    for name, value in data.items():
        check_finite(value, f"setting {name!r}")
    validator = load_schemas().validator("config.schema.json")
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    error = errors[0]
    if error.validator == "additionalProperties":
        schema = load_schemas().document("config.schema.json")
        unknown = sorted(set(data) - set(schema["properties"]))
        raise ConfigError(_unknown_message(unknown[0]))
    name = str(error.path[0]) if error.path else "settings"
    if name == "rules" and len(error.path) > 1:
        index = int(error.path[1])
        try:
            validate_rule(data["rules"][index])
        except ConfigError as rule_error:
            raise ConfigError(f"invalid setting 'rules'[{index}]: {rule_error}") from None
    where = "".join(f"[{part!r}]" for part in list(error.path)[1:])
    schema = load_schemas().document("config.schema.json")["properties"].get(name, {})
    hint = ""
    if "enum" in schema:
        hint = f"; allowed values: {', '.join(map(json.dumps, schema['enum']))}"
    message = schema_message(error)
    if error.validator == "pattern":  # say what is expected, not the regular expression
        message += f"; expected: {schema.get('description', 'a valid value').split('.')[0]}"
    if name in _SECRET_SETTINGS:  # never echo a key or a token back (a token may be a key)
        where = (
            f"[{error.path[1]}]" if len(error.path) > 1 and isinstance(error.path[1], int) else ""
        )
        if error.validator in ("minLength", "maxLength", "type"):
            message = f"fails the {error.validator} {error.validator_value!r} check"
        else:
            expected = schema.get("description", "a valid value").split(".")[0]
            message = f"not valid here; expected: {expected}"
    raise ConfigError(f"invalid setting {name!r}{where}: {message}{hint}")


#: Settings of the whole server, which one namespace (a Music-User-Token's share of a shared
#: server) cannot change: its bounds, its admin guard and the rules (scripted per namespace
#: with ``add_rule`` instead).
SERVER_WIDE = frozenset(
    {
        "rules",
        "journal_size",
        "journal_max_bytes",
        "max_users",
        "max_library_items",
        "max_rules",
        "admin_max_body_bytes",
        "max_connections",
        "header_timeout_seconds",
        "shutdown_timeout_seconds",
        "admin_token",
        "token_cache_size",
        "user_token_headers",
    }
)

#: Settings whose values are keys or tokens: their errors never show the value.
_SECRET_SETTINGS = frozenset(
    {
        "developer_keys",
        "admin_token",
        "known_user_tokens",
        "revoked_user_tokens",
        "unsubscribed_user_tokens",
        "user_storefronts",
    }
)
