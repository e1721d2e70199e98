"""One clear error when an optional dependency of the fixtures or strategies is missing.

The wheel alone installs the fake (Starlette, uvicorn, jsonschema, PyJWT); the fixtures and
strategies need the ``[pytest]`` extra: pytest, httpx, respx and Hypothesis.
"""

from __future__ import annotations

__all__ = ["EXTRA_INSTALL", "MissingExtraError", "missing_extra"]

EXTRA_INSTALL = "pip install 'apple-music-mock[pytest]'"


class MissingExtraError(ModuleNotFoundError):
    """An optional dependency is not installed; the message names the extra to install."""


def missing_extra(error: ImportError, feature: str) -> MissingExtraError:
    """The error to raise (``from None``) for ``error`` met while loading ``feature``.

    >>> str(missing_extra(ModuleNotFoundError("no", name="respx"), "apple_music_respx"))
    "apple_music_respx needs the 'respx' package, which is not installed: pip install 'apple-music-mock[pytest]'"
    """
    name = error.name or str(error)
    return MissingExtraError(
        f"{feature} needs the {name!r} package, which is not installed: {EXTRA_INSTALL}",
        name=error.name,
    )
