"""Seeded chance: reproducible draws in [0, 1) from a seed and the names of what is decided."""

from __future__ import annotations

import hashlib

__all__ = ["unit_interval"]


def unit_interval(*parts: object) -> float:
    """A reproducible number in [0, 1) from ``parts`` (no shared generator, no ordering).

    >>> unit_interval(0, "drop", "user", "songs", "1") == unit_interval(0, "drop", "user", "songs", "1")
    True
    """
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
