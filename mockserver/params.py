"""Query parameters validated by a schema: decoded pairs -> a document -> the value, or the
Apple error naming the offending parameter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema.exceptions import ValidationError

from .errors import AppleError
from .schemas import SchemaSet
from .wire import Query

__all__ = ["Parameters", "clip", "to_apple_error"]

_INTEGER = re.compile(r"[0-9]{1,9}\Z")


def clip(value: str, limit: int = 64) -> str:
    """``value`` shortened for an error detail."""
    return value if len(value) <= limit else value[: limit - 3] + "..."


def to_apple_error(error: ValidationError) -> AppleError:
    """The Apple error a schema failure maps to, from the failing schema's ``x-apple``."""
    annotation: Mapping[str, Any] = {}
    if isinstance(error.schema, Mapping):
        annotation = error.schema.get("x-apple", {})
    parameter = annotation.get("parameter") or (str(error.path[0]) if error.path else None)
    detail = str(annotation.get("detail") or error.message)
    detail = detail.replace("{parameter}", clip(parameter or ""))
    if len(error.path) > 1:
        detail += f" (element {int(error.path[1]) + 1})"
    return AppleError(400, str(annotation.get("code", "40005")), detail, parameter)


class Parameters:
    """A read endpoint's query parameters, validated by ``document`` in ``schemas/``.

    Values of ASCII digits (up to nine) become integers before validation; a repeated
    parameter keeps its first value; defaults come from the schema.
    """

    def __init__(self, schemas: SchemaSet, document: str, tolerated: Iterable[str]) -> None:
        self.tolerated = frozenset(tolerated)
        self.validator = schemas.query_validator(self.tolerated, document)
        properties = schemas.document(document)["properties"]
        self.defaults = {
            name: spec["default"] for name, spec in properties.items() if "default" in spec
        }

    def parse(self, query: Query) -> dict[str, Any] | AppleError:
        document: dict[str, Any] = {}
        for key, value in query.pairs:
            if key not in document:
                document[key] = int(value) if _INTEGER.match(value) else value
        order = {key: index for index, key in enumerate(document)}
        errors = sorted(
            self.validator.iter_errors(document),
            key=lambda e: order.get(str(e.path[0]), len(order)) if e.path else len(order),
        )
        if errors:
            return to_apple_error(errors[0])
        values = {**self.defaults, **document}
        for name in self.tolerated:
            values.pop(name, None)
        return values
