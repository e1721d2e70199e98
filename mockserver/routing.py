"""The Apple endpoints the fake serves, and how a method and path find one (or the 400, 404
or 405 Apple answers instead)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from .errors import AppleError

if TYPE_CHECKING:
    from .pipeline import Call, Pipeline
    from .wire import Reply

__all__ = ["Endpoint", "Route", "Router"]

Answer = Callable[["Pipeline", "Call"], "Reply"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One Apple endpoint: which of the pipeline's parsers validates its query (the checks'
    query step) and its answer.

    ``template`` is the path with ``{name}`` or ``{name:regex}`` parameters.
    """

    operation: str
    method: str
    template: str
    parser: str
    """The pipeline attribute whose ``parse(query)`` gives the parsed query or an error."""
    answer: Answer
    user_token: bool = True
    """Whether the user-token and subscription checks apply (not on catalog reads)."""
    reads_body: bool = False


_PARAMETER = re.compile(r"\{([a-z_]+)(?::([^}]+))?\}")


def _regex(template: str) -> re.Pattern[str]:
    parts, last = [], 0
    for match in _PARAMETER.finditer(template):
        parts.append(re.escape(template[last : match.start()]))
        parts.append(f"(?P<{match.group(1)}>{match.group(2) or '[^/]+'})")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return re.compile("".join(parts) + r"\Z")


class Route(NamedTuple):
    """Where a request goes: its endpoint and path parameters."""

    endpoint: Endpoint
    params: Mapping[str, str]


_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


class Router:
    """Finds the endpoint of a method and path: exact paths by dictionary, templated ones by
    pattern. ``HEAD`` is served wherever ``GET`` is."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        self._static: dict[str, dict[str, Endpoint]] = {}
        self.static_routes: dict[tuple[str, str], Route] = {}
        """(method, path) -> route of the paths without parameters: the usual lookup."""
        self._patterns: list[tuple[re.Pattern[str], dict[str, Endpoint]]] = []
        by_template: dict[str, dict[str, Endpoint]] = {}
        for endpoint in endpoints:
            by_template.setdefault(endpoint.template, {})[endpoint.method] = endpoint
        for template, methods in by_template.items():
            if "{" in template:
                self._patterns.append((_regex(template), methods))
            else:
                self._static[template] = methods
                for method, endpoint in methods.items():
                    self.static_routes[(method, template)] = Route(endpoint, _NO_PARAMS)
        self.endpoints = tuple(e for methods in by_template.values() for e in methods.values())

    def _candidates(self, path: str) -> dict[str, Route] | None:
        """Every method served on ``path`` and its route (a static path and a template may
        both match it, e.g. ``POST /v1/me/library/playlists`` and ``GET …/{type}``)."""
        found: dict[str, Route] = {}
        methods = self._static.get(path)
        if methods is not None:
            found = {method: Route(endpoint, _NO_PARAMS) for method, endpoint in methods.items()}
        for pattern, methods in self._patterns:
            match = pattern.match(path)
            if match is not None:
                params = match.groupdict()
                for method, endpoint in methods.items():
                    found.setdefault(method, Route(endpoint, params))
        return found or None

    def find(self, method: str, path: str) -> Route | AppleError:
        """The route of ``method`` ``path``, or the error answering it (404, 405 with the
        allowed methods in ``detail``, 400 for a trailing slash)."""
        route = self.static_routes.get((method, path))
        if route is not None:
            return route
        found = self._candidates(path)
        if found is None:
            if path.endswith("/") and len(path) > 1 and self._candidates(path[:-1]) is not None:
                detail = f"Path '{path}' is not valid: remove the trailing slash"
                return AppleError(400, "40000", detail)
            return AppleError(404, "40400", f"No resource at '{path}'")
        route = found.get(method) or (found.get("GET") if method == "HEAD" else None)
        if route is None:
            return AppleError(405, "40500", f"Method {method} is not allowed on '{path}'")
        return route

    def allowed(self, path: str) -> list[str]:
        """The methods served on ``path`` (for ``Allow``)."""
        found = self._candidates(path)
        if found is None:
            return []
        methods = sorted(found)
        return [*methods, "HEAD"] if "GET" in methods else methods
