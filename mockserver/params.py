"""Query parameters validated by a schema: decoded pairs -> a document -> the value, or the
Apple error naming the offending parameter."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

from jsonschema.exceptions import ValidationError

from .config import Settings
from .errors import AppleError
from .schemas import SchemaSet
from .wire import Query

__all__ = ["Parameters", "clip", "ignored_language", "to_apple_error"]

_INTEGER = re.compile(r"[0-9]{1,9}\Z")
_POSIX_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8})+\Z")


def ignored_language(settings: Settings, value: str) -> bool:
    """Whether an ``l`` is dropped as if absent: an empty one or a POSIX-style one (``en_US``)
    when ``empty_language`` / ``posix_language`` say ``ignore``."""
    if not value:
        return settings.empty_language == "ignore"
    return settings.posix_language == "ignore" and _POSIX_LANGUAGE.match(value) is not None


def with_more(errors: list[AppleError], settings: Settings) -> AppleError:
    """The first error, carrying the others when ``errors_per_answer`` is ``all``."""
    if len(errors) == 1 or settings.errors_per_answer == "first":
        return errors[0]
    return dataclasses.replace(errors[0], more=tuple(errors[1:]))


def clip(value: str, limit: int = 64) -> str:
    """``value`` shortened for an error detail."""
    return value if len(value) <= limit else value[: limit - 3] + "..."


def to_apple_error(error: ValidationError) -> AppleError:
    """The Apple error a schema failure maps to, from the failing schema's ``x-apple``."""
    annotation: Mapping[str, Any] = {}
    if isinstance(error.schema, Mapping):
        annotation = error.schema.get("x-apple", {})
    parameter = annotation.get("parameter") or (str(error.path[0]) if error.path else None)
    if parameter is None and error.validator == "required" and isinstance(error.instance, Mapping):
        required: Sequence[str] = error.validator_value  # type: ignore[assignment]
        missing = [name for name in required if name not in error.instance]
        parameter = missing[0] if missing else None
        if parameter is not None and not annotation.get("detail"):
            return AppleError(
                400, "40005", f"Parameter '{clip(parameter)}' is required", parameter
            )
    detail = str(annotation.get("detail") or error.message)
    detail = detail.replace("{parameter}", clip(parameter or ""))
    if len(error.path) > 1:
        detail += f" (element {int(error.path[1]) + 1})"
    return AppleError(400, str(annotation.get("code", "40005")), detail, parameter)


class Parameters:
    """A read endpoint's query parameters, validated by ``document`` in ``schemas/``.

    Values of ASCII digits (up to nine) of the parameters the schema types as integers become
    integers before validation; a repeated
    parameter keeps its first value; defaults come from the schema.
    """

    def __init__(
        self, schemas: SchemaSet, document: str, settings: Settings, *, extra: Sequence[str] = ()
    ) -> None:
        self.settings = settings
        tolerated = frozenset(settings.tolerated_parameters) | frozenset(extra)
        self.validator = schemas.query_validator(tolerated, document)
        properties = schemas.document(document)["properties"]
        #: The tolerated names the schema does not define (dropped from the parsed value),
        #: and the prefixes of those ending in ``[*]``.
        self.tolerated = frozenset(n for n in tolerated if n not in properties and "[*]" not in n)
        self.prefixes = tuple(n[:-2] for n in tolerated if n.endswith("[*]"))
        #: The parameters the schema defines: what the endpoint reads.
        self.read = frozenset(properties)
        self.defaults = {
            name: spec["default"] for name, spec in properties.items() if "default" in spec
        }
        #: Parameters the schema types as integers: only their digits become numbers (a
        #: search term "007" stays text).
        self.integers = frozenset(
            name for name, spec in properties.items() if spec.get("type") == "integer"
        )

    def parse(self, query: Query) -> dict[str, Any] | AppleError:
        document: dict[str, Any] = {}
        for key, value in query.pairs:
            if key not in document:
                number = key in self.integers and _INTEGER.match(value)
                document[key] = int(value) if number else value
        if "l" in document and ignored_language(self.settings, str(document["l"])):
            del document["l"]
        order = {key: index for index, key in enumerate(document)}
        errors = sorted(
            self.validator.iter_errors(document),
            key=lambda e: order.get(str(e.path[0]), len(order)) if e.path else len(order),
        )
        if errors:
            return with_more([to_apple_error(error) for error in errors], self.settings)
        values = {**self.defaults, **document}
        for name in self.tolerated:
            values.pop(name, None)
        if self.prefixes:
            for name in [
                k
                for k in values
                if k.startswith(self.prefixes) and k.endswith("]") and k not in self.read
            ]:  # never a parameter of the schema's own (format[resources] under format[*])
                del values[name]
        return values
