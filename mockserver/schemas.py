"""Load, check and compile the JSON Schemas in ``schemas/`` (once per process).

JSON Schema patterns are ECMA-262 regular expressions, in which ``$`` matches only at the very
end; Python's ``$`` also matches before a final newline (``"123\\n"`` would pass
``^[0-9]+$``). The validators therefore run on copies whose ``$`` anchors are rewritten to
Python's ``\\Z``; :func:`python_pattern` does the same for patterns the code reads itself.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "SCHEMA_BASE",
    "SchemaSet",
    "check_documents",
    "load_schemas",
    "python_pattern",
    "schema_dir",
]

SCHEMA_BASE = "https://apple-music-mock.example/schemas/"


def schema_dir() -> Path:
    """Where the schemas are: inside the installed package, else the source checkout."""
    packaged = resources.files("mockserver") / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    source = Path(__file__).resolve().parent.parent / "schemas"
    if source.is_dir():
        return source
    raise FileNotFoundError(f"schemas not found in {packaged} or {source}")


def _python_regex(pattern: str) -> str:
    """``pattern`` with every ``$`` anchor (outside classes, unescaped) made ``\\Z``."""
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append(r"\Z")
            continue
        out.append(char)
    return "".join(out)


@functools.lru_cache(maxsize=256)
def python_pattern(pattern: str) -> re.Pattern[str]:
    """A schema (ECMA-262) pattern compiled with the same meaning in Python.

    >>> bool(python_pattern("^[0-9]+$").search("123\\n"))
    False
    """
    return re.compile(_python_regex(pattern))


def _pythonic(node: Any) -> Any:
    """A copy of a schema whose patterns mean in Python what they mean in ECMA-262."""
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                result[key] = _python_regex(value)
            elif key == "patternProperties" and isinstance(value, dict):
                result[key] = {_python_regex(k): _pythonic(v) for k, v in value.items()}
            else:
                result[key] = _pythonic(value)
        return result
    if isinstance(node, list):
        return [_pythonic(item) for item in node]
    return node


@dataclass
class SchemaSet:
    """Every schema document, checked once, with compiled validators cached by reference."""

    directory: Path
    documents: Mapping[str, dict[str, Any]]
    registry: Registry[Any]
    compiled: int = 0
    _validators: dict[str, Draft202012Validator] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def document(self, name: str) -> dict[str, Any]:
        """The parsed document of ``name`` (a file name such as ``query.schema.json``)."""
        return self.documents[name]

    def validator(self, ref: str) -> Draft202012Validator:
        """A validator for ``ref`` (``file.json`` or ``file.json#/pointer``), compiled once."""
        cached = self._validators.get(ref)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._validators.get(ref)
            if cached is None:
                cached = self._compile({"$ref": SCHEMA_BASE + ref})
                self._validators[ref] = cached
        return cached

    def _compile(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        self.compiled += 1
        return Draft202012Validator(_pythonic(schema), registry=self.registry)

    def query_validator(
        self, tolerated: Iterable[str], document: str = "query.schema.json"
    ) -> Draft202012Validator:
        """The validator of a parsed query (``document``, by default the add's), with the
        ``tolerated`` parameter names accepted and ignored (a name ending in ``[*]``: every
        key of that prefix with anything in brackets)."""
        names = tuple(sorted(set(tolerated)))
        key = f"{document}?" + json.dumps(names)
        cached = self._validators.get(key)
        if cached is not None:
            return cached
        schema = copy.deepcopy(self.document(document))
        schema.pop("$id")
        tolerated_ref = {"$ref": "#/$defs/toleratedParameter"}
        for name in names:
            if name.endswith("[*]"):
                pattern = "^" + re.escape(name[:-3]) + r"\[[^\]]*\]$"
                schema.setdefault("patternProperties", {})[pattern] = tolerated_ref
            else:
                schema["properties"].setdefault(name, tolerated_ref)
        with self._lock:
            validator = self._compile(schema)
            self._validators[key] = validator
        return validator

    def bundled_openapi(self) -> dict[str, Any]:
        """The OpenAPI document with every referenced schema copied under components."""
        document = copy.deepcopy(self.document("openapi.json"))
        components: dict[str, Any] = {}

        def rewrite(node: Any, home: str | None) -> Any:
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    return {**node, "$ref": relocate(ref, home)}
                return {
                    key: rewrite(value, home)
                    for key, value in node.items()
                    if not (home and key in ("$id", "$schema"))
                }
            if isinstance(node, list):
                return [rewrite(item, home) for item in node]
            return node

        def relocate(ref: str, home: str | None) -> str:
            if ref.startswith("#") and home is not None:
                return f"#/components/schemas/{home}{ref[1:]}"
            if not ref.startswith(SCHEMA_BASE):
                return ref
            name, _, pointer = ref[len(SCHEMA_BASE) :].partition("#")
            stem = name.removesuffix(".schema.json")
            if stem not in components:
                components[stem] = None  # reserve before recursing
                components[stem] = rewrite(self.document(name), stem)
            return f"#/components/schemas/{stem}{pointer}"

        bundled: dict[str, Any] = rewrite(document, None)
        bundled.setdefault("components", {}).setdefault("schemas", {}).update(components)
        return bundled


@functools.cache
def load_schemas(directory: Path | None = None) -> SchemaSet:
    """Read every ``*.json`` in ``directory`` once, check it, and build the registry (of
    copies with Python-faithful patterns). The shipped schemas (no ``directory``) are not
    checked against the JSON Schema meta-schema here: that took most of a cold start (about
    0.3 s), and the test suite checks them (:func:`check_documents`)."""
    shipped = directory is None
    directory = directory or schema_dir()
    documents: dict[str, dict[str, Any]] = {}
    registry: Registry[Any] = Registry()
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        documents[path.name] = document
        if path.name == "openapi.json":
            continue
        if not shipped:
            Draft202012Validator.check_schema(document)
        expected = SCHEMA_BASE + path.name
        if document.get("$id") != expected:
            raise ValueError(f"{path}: $id must be {expected!r}, not {document.get('$id')!r}")
        resource = Resource.from_contents(_pythonic(document), DRAFT202012)
        registry = registry.with_resource(expected, resource)
    return SchemaSet(directory=directory, documents=documents, registry=registry.crawl())


def check_documents(schemas: SchemaSet) -> None:
    """Check every schema document of ``schemas`` against the JSON Schema 2020-12
    meta-schema (``jsonschema.SchemaError`` for the first that is not a valid schema)."""
    for name, document in schemas.documents.items():
        if name != "openapi.json":
            Draft202012Validator.check_schema(document)
