"""Load, check and compile the JSON Schemas in ``schemas/`` (once per process)."""

from __future__ import annotations

import copy
import functools
import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["SCHEMA_BASE", "SchemaSet", "load_schemas", "schema_dir"]

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

    def compile(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        """Compile a derived schema (one built from the configuration) against the registry."""
        with self._lock:
            return self._compile(schema)

    def _compile(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        Draft202012Validator.check_schema(schema)
        self.compiled += 1
        return Draft202012Validator(schema, registry=self.registry)

    def query_validator(self, tolerated: Iterable[str]) -> Draft202012Validator:
        """The query validator with ``tolerated`` parameter names accepted."""
        names = tuple(sorted(set(tolerated)))
        key = "query.schema.json?" + json.dumps(names)
        cached = self._validators.get(key)
        if cached is not None:
            return cached
        schema = copy.deepcopy(self.document("query.schema.json"))
        schema.pop("$id")
        tolerated_ref = {"$ref": "#/$defs/toleratedParameter"}
        for name in names:
            schema["properties"].setdefault(name, tolerated_ref)
        validator = self.compile(schema)
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
    """Read every ``*.json`` in ``directory`` once, check it, and build the registry."""
    directory = directory or schema_dir()
    documents: dict[str, dict[str, Any]] = {}
    registry: Registry[Any] = Registry()
    for path in sorted(directory.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        documents[path.name] = document
        if path.name == "openapi.json":
            continue
        Draft202012Validator.check_schema(document)
        expected = SCHEMA_BASE + path.name
        if document.get("$id") != expected:
            raise ValueError(f"{path}: $id must be {expected!r}, not {document.get('$id')!r}")
        registry = registry.with_resource(expected, Resource.from_contents(document, DRAFT202012))
    return SchemaSet(directory=directory, documents=documents, registry=registry.crawl())
