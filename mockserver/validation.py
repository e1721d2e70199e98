"""Checking documents against the schemas, with messages a user can act on: the place of
the first problem, never a regular expression; NaN and infinities refused."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import ConfigError
from .schemas import load_schemas

__all__ = ["check_finite", "schema_message", "validate_catalog", "validate_rule"]


def _non_finite(value: Any, where: str) -> str | None:
    """Where a NaN or an infinity hides in ``value`` (JSON Schema's bounds let them through)."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _non_finite(item, f"{where}[{key!r}]")
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _non_finite(item, f"{where}[{index}]")
            if found:
                return found
    return None


def check_finite(data: Any, name: str) -> None:
    """ConfigError when ``data`` holds a NaN or an infinity."""
    where = _non_finite(data, name)
    if where is not None:
        raise ConfigError(f"invalid {where}: must be a finite number (not NaN or infinity)")


#: Catalog items already checked, by identity (a configuration change or a PATCH that keeps
#: a catalog's items does not check them again: jsonschema takes ~0.4 ms per resource).
_CHECKED_ITEMS: dict[int, Any] = {}
_MAX_CHECKED_ITEMS = 1_000_000


def validate_catalog(document: Any) -> None:
    """ConfigError naming the first problem of a catalog document, by its place in it. The
    document's frame is checked first, then each item not checked before."""
    schemas = load_schemas()
    frame = document
    if isinstance(document, Mapping):
        frame = {
            key: [] if isinstance(value, list) and key != "x-apple-music-mock" else value
            for key, value in document.items()
        }
    _raise_first(schemas.validator("catalog.schema.json"), frame, [])
    checked = _CHECKED_ITEMS
    for type_, items in document.items():
        if not isinstance(items, list):
            continue
        validator = schemas.validator(f"catalog.schema.json#/properties/{type_}/items")
        for index, item in enumerate(items):
            if checked.get(id(item)) is item:
                continue
            check_finite(item, f"setting 'catalog'[{type_!r}][{index}]")
            _raise_first(validator, item, [type_, index])
            if len(checked) >= _MAX_CHECKED_ITEMS:
                checked.clear()
            checked[id(item)] = item


def _raise_first(validator: Any, instance: Any, prefix: list[Any]) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
    if not errors:
        return
    error = errors[0]
    message = schema_message(error)
    if error.validator == "anyOf":  # an item: neither an id nor a resource object
        deepest = max(error.context or (), key=lambda e: len(e.absolute_path), default=None)
        if deepest is not None and len(deepest.absolute_path) > len(error.absolute_path):
            error, message = deepest, schema_message(deepest)
        else:
            message = "must be an id (a non-empty string) or a resource object with an 'id'"
    where = "".join(f"[{part!r}]" for part in [*prefix, *error.absolute_path])
    raise ConfigError(f"invalid setting 'catalog'{where}: {message}")


def validate_rule(data: Mapping[str, Any]) -> None:
    """Check one rule's JSON form against ``schemas/rule.schema.json``; ConfigError names
    the offending field."""
    check_finite(data, "rule")
    validator = load_schemas().validator("rule.schema.json")
    error = next(
        iter(sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))), None
    )
    if error is None:
        return
    where = "/".join(map(str, error.path)) or "rule"
    if error.validator == "oneOf" and not error.path:
        raise ConfigError("invalid rule: give exactly one of 'action' or 'sequence'")
    raise ConfigError(f"invalid rule at '{where}': {schema_message(error)}")


def schema_message(error: Any) -> str:
    """A jsonschema error in words a user can act on (no regular expressions)."""
    instance = error.instance
    shown = repr(instance) if len(repr(instance)) <= 80 else repr(instance)[:77] + "..."
    if error.validator == "pattern":
        return f"{shown} has characters or a form not allowed here"
    if error.validator == "not":
        if "headers" in error.path or list(error.relative_schema_path)[-2:-1] == ["propertyNames"]:
            return f"{shown} is set by the server and cannot be scripted"
        return f"{shown} is not allowed here"
    return str(error.message)
