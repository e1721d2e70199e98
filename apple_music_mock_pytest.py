"""Entry point of apple-music-mock's pytest plugin (``pytest11``).

The kit's import names, ``mockserver`` and ``pytest_plugin``, are also used elsewhere
(MockServer's Python client installs a ``mockserver`` package; many projects keep a
``pytest_plugin.py``). This module has a name of its own, so it always loads: it checks that
both names resolve to this distribution and stops the run with one clear message when they
do not (README, "Compatibility"), then loads :mod:`pytest_plugin.plugin`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

__all__: list[str] = []

#: A module each of the kit's packages has, which the namesakes do not.
_SIGNATURES = {"mockserver": "pipeline.py", "pytest_plugin": "seal.py"}


def _foreign(name: str, signature: str) -> str | None:
    """Where ``name`` resolves when that is not this distribution's package (else None)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return f"{name} cannot be imported"
    locations = list(spec.submodule_search_locations or [])
    if any((Path(location) / signature).is_file() for location in locations):
        return None
    return f"{name!r} resolves to {spec.origin or locations} (not apple-music-mock's package)"


_problems = [p for p in (_foreign(n, s) for n, s in _SIGNATURES.items()) if p is not None]
if _problems:
    raise pytest.UsageError(
        "apple-music-mock cannot load its pytest plugin: "
        + "; ".join(_problems)
        + ". Another distribution or a local module uses the same import name: uninstall it "
        "or rename the local module (README, Compatibility)."
    )

pytest_plugins = ["pytest_plugin.plugin"]
