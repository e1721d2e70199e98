"""What is documented, seen or guessed, as data (``schemas/contract/marks.json``): the
endpoints the fake serves with Apple's reference pages, every [guess] with the setting that
changes it, and every answer the fake can give."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from .schemas import load_schemas, schema_dir

__all__ = ["guess_for", "load_marks"]


@functools.cache
def load_marks() -> Mapping[str, Any]:
    """The marks document, checked against ``schemas/marks.schema.json``."""
    path = schema_dir() / "contract" / "marks.json"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    load_schemas().validator("marks.schema.json").validate(document)
    return document


def guess_for(case_id: str, setting: str | None = None) -> Mapping[str, Any] | None:
    """The [guess] a contract case's real answer settles: the one naming the case, else the
    one whose setting is ``setting``."""
    guesses = load_marks()["guesses"]
    for guess in guesses:
        if case_id in guess.get("cases", ()):
            return dict(guess)
    for guess in guesses:
        if setting is not None and guess["setting"] == setting:
            return dict(guess)
    return None
