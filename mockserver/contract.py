"""The contract as data: the cases behind README's "What the fake checks", read from
``schemas/contract/cases.json`` (checked by ``schemas/contract-cases.schema.json``), and what
an answer looks like when compared (status, error code, ``source.parameter``, body shape).

The fake's own tests run every case in process; ``apple-music-mock verify`` sends the safe
ones to the real API and compares."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .schemas import load_schemas, schema_dir

__all__ = [
    "BAD_DEVELOPER_TOKEN",
    "Case",
    "Outcome",
    "body_signature",
    "load_cases",
    "outcome_of",
]

#: What a case with ``developer_token: "bad"`` sends (not a JWT at all).
BAD_DEVELOPER_TOKEN = "not-a-developer-token"


@dataclass(frozen=True)
class Outcome:
    """What is compared of an answer. ``shape`` is ``empty``, ``errors``, ``json`` or
    ``text``; ``signature`` the body's keys and value types (never its values)."""

    status: int
    code: str | None
    parameter: str | None
    shape: str
    signature: str = ""

    def differences(self, other: Outcome, *, signatures: bool = False) -> list[str]:
        """What differs from ``other``, e.g. ``["status 403 != 401"]``."""
        fields = ["status", "code", "parameter", "shape"]
        if signatures and self.shape == other.shape:  # keys and types, of the same kind
            fields.append("signature")
        return [
            f"{name} {getattr(self, name)} != {getattr(other, name)}"
            for name in fields
            if getattr(self, name) != getattr(other, name)
        ]

    def brief(self) -> str:
        parts = [str(self.status), self.code or "-", self.shape]
        if self.parameter:
            parts.append(f"parameter={self.parameter}")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "parameter": self.parameter,
            "shape": self.shape,
        }


def body_signature(value: Any) -> str:
    """Keys and types of a JSON value, ids and timestamps left out: two error bodies with
    the same fields have the same signature."""
    if isinstance(value, dict):
        inner = ",".join(f"{key}:{body_signature(value[key])}" for key in sorted(value))
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + (body_signature(value[0]) if value else "") + "]"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def outcome_of(status: int, body: bytes) -> Outcome:
    """The comparable outcome of one answer."""
    if not body.strip():
        return Outcome(status, None, None, "empty", "")
    try:
        document = json.loads(body)
    except ValueError:
        return Outcome(status, None, None, "text", "text")
    signature = body_signature(document)
    errors = document.get("errors") if isinstance(document, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        source = first.get("source")
        parameter = source.get("parameter") if isinstance(source, dict) else None
        code = first.get("code")
        return Outcome(
            status, str(code) if code is not None else None, parameter, "errors", signature
        )
    return Outcome(status, None, None, "json", signature)


@dataclass(frozen=True)
class Case:
    """One request of the contract and what the fake answers it under default settings."""

    id: str
    description: str
    mark: str
    method: str
    path: str
    query: str
    developer_token: str
    user_token: str
    expected: Outcome
    safe: bool
    guess_setting: str | None
    guess_values: tuple[Any, ...]
    adds: str | None = None
    """The resource type whose ids the case adds (``{ids}`` in ``query``), else None."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Case:
        request, expected = data["request"], data["expected"]
        query = request.get("query", "")
        if "pad_query_to" in request:  # a long target: wrong-shape ids, which add nothing
            query += ",x" * ((request["pad_query_to"] - len(query)) // 2 + 1)
        guess, adds = data.get("guess") or {}, data.get("adds") or {}
        if adds:
            query = query.replace("{ids}", adds["example"])
        return cls(
            id=data["id"],
            description=data["description"],
            mark=data["mark"],
            method=request["method"],
            path=request["path"],
            query=query,
            developer_token=request["developer_token"],
            user_token=request["user_token"],
            expected=Outcome(
                expected["status"],
                expected.get("code"),
                expected.get("parameter"),
                expected["shape"],
            ),
            safe=data["safe"],
            guess_setting=guess.get("setting"),
            guess_values=tuple(guess.get("values", ())),
            adds=adds.get("type"),
        )

    def with_ids(self, ids: str) -> Case:
        """This adding case with the user's ids (comma-separated) in place of the example."""
        assert self.adds is not None
        query = re.sub(
            rf"ids\[{re.escape(self.adds)}\]=[^&]*", f"ids[{self.adds}]={ids}", self.query
        )
        return dataclasses.replace(self, query=query)

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def headers(self, developer_token: str, user_token: str) -> dict[str, str]:
        """The request's headers, given a developer token and a user token to use."""
        headers: dict[str, str] = {}
        if self.developer_token == "valid":
            headers["Authorization"] = f"Bearer {developer_token}"
        elif self.developer_token == "bad":
            headers["Authorization"] = f"Bearer {BAD_DEVELOPER_TOKEN}"
        if self.user_token == "present":
            headers["Music-User-Token"] = user_token
        elif self.user_token == "empty":
            headers["Music-User-Token"] = ""
        return headers


@functools.cache
def load_cases() -> tuple[Case, ...]:
    """Every case of the contract, in file order (checked against its schema)."""
    document = json.loads((schema_dir() / "contract" / "cases.json").read_text(encoding="utf-8"))
    load_schemas().validator("contract-cases.schema.json").validate(document)
    return tuple(Case.from_json(case) for case in document["cases"])
