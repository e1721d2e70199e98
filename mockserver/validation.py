"""Checking documents against the schemas, with messages a user can act on: the place of
the first problem, never a regular expression; NaN and infinities refused."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .errors import ConfigError
from .schemas import load_schemas

__all__ = [
    "CheckedCatalog",
    "check_finite",
    "checked_catalog",
    "schema_message",
    "validate_catalog",
    "validate_rule",
]


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


class CheckedCatalog(dict[str, Any]):
    """A catalog document that :func:`checked_catalog` copied and checked: the settings own
    it (nobody else holds a reference that could change it), so a configuration change that
    keeps it needs no new check, and what is built from it can be kept on it (``built``)."""

    built: Any = None


class _CheckedItem(dict[str, Any]):
    """A catalog resource object copied and checked by :func:`checked_catalog`."""


_CATALOG_EXTENSION = "x-apple-music-mock"


def checked_catalog(document: Any) -> CheckedCatalog:
    """``document`` checked against ``schemas/catalog.schema.json`` and copied (JSON values
    only), or ConfigError naming the place of its first problem. Resources of an already
    checked catalog are taken as they are, so a PATCH checks only what it brings."""
    if type(document) is CheckedCatalog:
        return document
    schemas = load_schemas()
    frame = document
    if isinstance(document, Mapping):
        frame = {
            key: [] if isinstance(value, list) and key != _CATALOG_EXTENSION else value
            for key, value in document.items()
        }
    check_finite(frame, "setting 'catalog'")
    _raise_first(schemas.validator("catalog.schema.json"), frame, [])
    checked = CheckedCatalog()
    for key, value in document.items():
        if key == _CATALOG_EXTENSION:
            checked[key] = _copied(value, [key])
            continue
        validator = schemas.validator(f"catalog.schema.json#/properties/{key}/items")
        items: list[Any] = []
        for index, item in enumerate(value):
            if type(item) is not _CheckedItem and not isinstance(item, str):
                check_finite(item, f"setting 'catalog'[{key!r}][{index}]")
                _raise_first(validator, item, [key, index])
                item = _CheckedItem(_copied(item, [key, index]))
            elif isinstance(item, str):
                _raise_first(validator, item, [key, index])
            items.append(item)
        checked[key] = items
    return checked


def validate_catalog(document: Any) -> None:
    """ConfigError naming the first problem of a catalog document, by its place in it."""
    checked_catalog(document)


def _copied(value: Any, where: list[Any]) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError) as error:
        place = "".join(f"[{part!r}]" for part in where)
        raise ConfigError(f"invalid setting 'catalog'{place}: {error}") from None


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
    if error.path and error.path[-1] == "status" and error.validator == "anyOf":
        raise ConfigError(
            f"invalid rule at '{where}': {error.instance!r} must be 202 or a status from 400 to 599"
        )
    raise ConfigError(f"invalid rule at '{where}': {schema_message(error)}")


def schema_message(error: Any) -> str:
    """A jsonschema error in words a user can act on (no regular expressions)."""
    instance = error.instance
    shown = repr(instance) if len(repr(instance)) <= 80 else repr(instance)[:77] + "..."
    if error.validator == "pattern":
        return f"{shown} has characters or a form not allowed here"
    if error.validator == "not":
        why = error.schema.get("x-not") if isinstance(error.schema, Mapping) else None
        if why:  # the schema says why in its own words
            return f"{shown} {why}"
        if "headers" in error.path or list(error.relative_schema_path)[-2:-1] == ["propertyNames"]:
            return f"{shown} is set by the server and cannot be scripted"
        return f"{shown} is not allowed here"
    return str(error.message)
