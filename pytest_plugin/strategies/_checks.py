"""Argument checks shared by the strategies (Hypothesis's ``InvalidArgument``)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis.errors import InvalidArgument

__all__ = ["check_size", "check_type"]


def check_type(type_: str, allowed: Sequence[str], name: str = "type") -> None:
    if not isinstance(type_, str) or type_ not in allowed:
        raise InvalidArgument(f"{name}={type_!r} must be one of {', '.join(allowed)}")


def check_size(min_size: int, max_size: int | None) -> None:
    if not isinstance(min_size, int) or min_size < 1:
        raise InvalidArgument(f"min_size={min_size!r} must be an integer >= 1")
    if max_size is not None and (not isinstance(max_size, int) or max_size < min_size):
        raise InvalidArgument(f"max_size={max_size!r} must be an integer >= min_size={min_size}")
