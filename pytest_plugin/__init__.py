"""pytest plugin and Hypothesis strategies for apple-music-mock."""

from __future__ import annotations

__all__: list[str] = []
