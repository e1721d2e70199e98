"""How catalog answers are shaped beyond one resource: an album's or playlist's tracks as full
song resources in pages (``relationships.tracks`` and the relationship read by name), and the
web player's map form of search results (``format[resources]=map``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .catalog import Catalog

__all__ = ["TRACK_PAGE", "map_form", "track_page", "with_tracks"]

#: The tracks a catalog album or playlist resource carries, and the default page of the
#: relationship read by name [guess: Apple's examples show pages of 100 with ``next``].
TRACK_PAGE = 100
#: The catalog types whose tracks are served whole.
_WITH_TRACKS = ("albums", "playlists")


def track_page(
    href: str, tracks: list[Any], offset: int, limit: int = TRACK_PAGE, language: Any = None
) -> dict[str, Any]:
    """A page of ``tracks`` (``data``), with ``next`` (``href?offset=…``, then ``limit``
    when not the default and ``l`` when given: the next page in the same language) while
    more remain."""
    page: dict[str, Any] = {"data": tracks[offset : offset + limit]}
    if offset + limit < len(tracks):
        page["next"] = f"{href}?offset={offset + limit}"
        if limit != TRACK_PAGE:
            page["next"] += f"&limit={limit}"
        if language is not None:
            page["next"] += f"&l={quote(str(language), safe='')}"
    return page


def with_tracks(
    resource: dict[str, Any], catalog: Catalog, storefront: str, language: Any = None
) -> dict[str, Any]:
    """``resource`` with, for an album or playlist whose document names tracks, those
    available in ``storefront`` as full song resources under ``relationships.tracks``: the
    first page, then ``next`` (in ``language`` when given) [doc: Get a Catalog Playlist's
    example]."""
    type_ = resource["type"]
    if type_ not in _WITH_TRACKS or "tracks" not in resource.get("relationships", {}):
        return resource
    href = f"{resource['href']}/tracks"
    tracks = catalog.tracks(type_, resource["id"], storefront)
    relationships = dict(resource["relationships"])
    relationships["tracks"] = {"href": href, **track_page(href, tracks, 0, language=language)}
    return {**resource, "relationships": relationships}


def map_form(results: dict[str, Any]) -> dict[str, Any]:
    """Search ``results`` in the web player's map form [seen]: each group's ``data`` as
    references (``id``, ``type``, ``href``) in the same order, best match first, and every
    resource once under ``resources.{type}.{id}``."""
    resources: dict[str, dict[str, Any]] = {}
    grouped: dict[str, Any] = {}
    for type_, group in results.items():
        found = group["data"]
        resources.setdefault(type_, {}).update((item["id"], item) for item in found)
        references = [{"id": r["id"], "type": r["type"], "href": r["href"]} for r in found]
        grouped[type_] = {**group, "data": references}
    return {"results": grouped, "resources": resources}
