"""The catalog endpoints clients call before adding, answered from the configured catalog
(:class:`~mockserver.catalog.Catalog`): one resource, several by id or by ISRC, a search, and
the ``library`` relationship a membership check reads. Developer token only, as Apple
documents, except where the user's library is asked for (``include=library``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .catalog import CATALOG_TYPES
from .catalog_pages import map_form, track_page, with_tracks
from .config import Settings
from .errors import AppleError
from .ids import LIBRARY_KINDS
from .library import LibraryItem
from .params import Parameters
from .reads import NOT_IN_LIBRARY, library_items, resources
from .routing import Endpoint
from .schemas import SchemaSet
from .wire import Reply, json_reply

if TYPE_CHECKING:
    from .pipeline import Call, Pipeline

__all__ = ["CATALOG_ENDPOINTS", "NOT_IN_CATALOG", "catalog_parsers"]

CATALOG = "/v1/catalog/{storefront}"
_TYPES = "|".join(CATALOG_TYPES)
#: The most ids one multiple-resources request takes [doc].
MAX_IDS = 300

#: The journal's reason for a 404 of a well-formed catalog lookup: the catalog does not list
#: the id (in that storefront). The real API answers it too; it is no contract violation.
NOT_IN_CATALOG = "not in the catalog"

#: The pipeline attribute of each lookup's query parser -> the schema document it validates.
_PARSERS = {
    "catalog_item_parameters": "catalog-item-query.schema.json",
    "catalog_parameters": "catalog-query.schema.json",
    "search_parameters": "catalog-search-query.schema.json",
    "catalog_tracks_parameters": "catalog-tracks-query.schema.json",
}
#: ``filter[…]`` of several resources -> the types that take it [doc: by ISRC; Get
#: Equivalent Catalog Songs, Albums, Music Videos by ID].
_FILTERS = {
    "ids": CATALOG_TYPES,
    "filter[isrc]": ("songs", "music-videos"),
    "filter[equivalents]": ("songs", "albums", "music-videos"),
}


def catalog_parsers(schemas: SchemaSet, settings: Settings) -> dict[str, Parameters]:
    """The lookups' query parsers (compiled once per configuration), by pipeline attribute:
    each also takes the web player's parameters (``web_player_parameters``)."""
    extra = settings.web_player_parameters
    return {
        name: Parameters(schemas, document, settings, extra=extra)
        for name, document in _PARSERS.items()
    }


def _storefront(pipeline: Pipeline, call: Call) -> str | Reply:
    """The path's storefront, or the answer to one the fake does not know."""
    storefront = call.params["storefront"]
    settings = pipeline.settings
    if storefront in settings.storefronts:
        return storefront
    shown = storefront[:16]
    if settings.unknown_storefront_status == 404:
        return call.fail(AppleError(404, "40400", f"Storefront '{shown}' was not found"))
    detail = f"Value of 'storefront' is not a known storefront: '{shown}'"
    return call.fail(AppleError(400, "40005", detail, "storefront"))


def _includes(parsed: Mapping[str, Any]) -> list[str]:
    include = parsed.get("include")
    return str(include).split(",") if include else []


def _user_problem(pipeline: Pipeline, call: Call) -> Reply | None:
    """The answer when the user token ``include=library`` needs is missing or refused (the
    user-token and subscription checks of the library's own endpoints)."""
    return pipeline.user_token_refusal(call) or pipeline.subscription_refusal(call)


class _Copies:
    """The user's visible library items by catalog type and id, read once per request (a
    lookup of 300 ids with ``include=library`` reads the library once, not 300 times)."""

    def __init__(self, pipeline: Pipeline, call: Call) -> None:
        self.pipeline, self.call = pipeline, call
        self._by_catalog_id: dict[tuple[str, str], LibraryItem] | None = None

    def of(self, type_: str, id_: str) -> list[dict[str, Any]]:
        """The library copy of a catalog item as a resource (``[]`` when not added)."""
        if type_ not in LIBRARY_KINDS:
            return []
        by_id = self._by_catalog_id
        if by_id is None:
            call = self.call
            items = library_items(self.pipeline, call.user_token or "", call.exchange.time)
            by_id = self._by_catalog_id = {}
            for item in items:
                by_id.setdefault((item.type, item.catalog_id), item)
        found = by_id.get((type_, id_))
        return [] if found is None else resources(self.pipeline, self.call, [found])


def _served(resource: dict[str, Any], copies: _Copies | None) -> dict[str, Any]:
    """``resource`` with its relationships as the catalog document gives them and, with
    ``include=library`` (``copies``), the user's library copy under
    ``relationships.library``."""
    if copies is None:
        return resource
    relationships = dict(resource.get("relationships") or {})
    relationships["library"] = {"data": copies.of(resource["type"], resource["id"])}
    return {**resource, "relationships": relationships}


def _not_in_catalog(call: Call, type_: str, id_: str) -> Reply:
    """The 404 of an id the storefront's catalog does not have."""
    call.exchange.reason = NOT_IN_CATALOG
    detail = f"Resource with requested id was not found: {type_} '{id_[:64]}'"
    return call.fail(AppleError(404, "40400", detail))


def one(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/catalog/{storefront}/{type}/{id}``: ``{"data": [resource]}``, or 404."""
    storefront = _storefront(pipeline, call)
    if isinstance(storefront, Reply):
        return storefront
    includes = _includes(call.parsed)
    if "library" in includes and (problem := _user_problem(pipeline, call)) is not None:
        return problem
    type_, id_ = call.params["type"], call.params["id"]
    resource = pipeline.policy.catalog.get(type_, id_, storefront)
    if resource is None:
        return _not_in_catalog(call, type_, id_)
    copies = _Copies(pipeline, call) if "library" in includes else None
    resource = with_tracks(resource, pipeline.policy.catalog, storefront, call.parsed.get("l"))
    return json_reply(200, {"data": [_served(resource, copies)]})


def several(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/catalog/{storefront}/{type}?ids=…`` (those listed and available, in the
    order asked), ``?filter[isrc]=…`` (songs and music videos with those ISRCs) or
    ``?filter[equivalents]=…`` (for each id, what the storefront has of it: see
    :meth:`~mockserver.catalog.Catalog.equivalents`; none gives ``{"data": []}``)."""
    storefront = _storefront(pipeline, call)
    if isinstance(storefront, Reply):
        return storefront
    parsed, type_ = call.parsed, call.params["type"]
    given = [name for name in _FILTERS if parsed.get(name) is not None]
    if len(given) != 1:
        names = " or ".join(f"'{name}'" for name in _FILTERS)
        detail = f"Give exactly one of {names}"
        return call.fail(AppleError(400, "40005", detail, given[1] if given else "ids"))
    [name] = given
    if type_ not in _FILTERS[name]:
        detail = f"Parameter '{name}' is not allowed on {type_}"
        return call.fail(AppleError(400, "40004", detail, name))
    includes = _includes(parsed)
    if "library" in includes and (problem := _user_problem(pipeline, call)) is not None:
        return problem
    catalog = pipeline.policy.catalog
    found: dict[str, dict[str, Any]] = {}  # by id: each once, in the order found
    for value in dict.fromkeys(str(parsed[name]).split(",")):
        if name == "ids":
            resource = catalog.get(type_, value, storefront)
            matches = [] if resource is None else [resource]
        elif name == "filter[isrc]":
            matches = catalog.by_isrc(type_, value, storefront)
        else:
            matches = catalog.equivalents(type_, value, storefront)
        for resource in matches:
            found.setdefault(resource["id"], resource)
    copies = _Copies(pipeline, call) if "library" in includes else None
    language = parsed.get("l")
    served = [
        _served(with_tracks(r, catalog, storefront, language), copies) for r in found.values()
    ]
    return json_reply(200, {"data": served})


def search(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/catalog/{storefront}/search``: per type asked, a page of matches under
    ``results.{type}`` (with ``next`` while more remain) and the types' order in
    ``meta.results.order``; no match at all gives ``{"results": {}}``. With
    ``format[resources]=map`` (the web player's), the pages hold references and the
    resources are under ``resources.{type}.{id}`` (:func:`~.catalog_pages.map_form`)."""
    storefront = _storefront(pipeline, call)
    if isinstance(storefront, Reply):
        return storefront
    parsed = call.parsed
    term, limit, offset = str(parsed["term"]), parsed["limit"], parsed["offset"]
    results: dict[str, Any] = {}
    path = call.exchange.path
    link = f"{path}?limit={limit}&offset={{}}&term={quote(term, safe='')}&types={{}}"
    if "l" in parsed:  # the next page in the same language
        link += f"&l={quote(str(parsed['l']), safe='')}"
    mapped = parsed.get("format[resources]") == "map"
    if mapped:  # and in the same form
        link += "&format%5Bresources%5D=map"
    for type_ in dict.fromkeys(str(parsed["types"]).split(",")):
        total, found = pipeline.policy.catalog.search(
            type_, term, storefront, offset=offset, limit=limit
        )
        if not found:
            continue
        group: dict[str, Any] = {"href": link.format(offset, type_), "data": found}
        if offset + limit < total:
            group["next"] = link.format(offset + limit, type_)
        results[type_] = group
    order = list(results)
    meta = {"results": {"order": order, "rawOrder": order}}
    body = map_form(results) if mapped else {"results": results}
    return json_reply(200, {**body, "meta": meta})


def tracks(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/catalog/{storefront}/{type}/{id}/tracks`` (albums, playlists): a page of
    the tracks available in the storefront, in order, with ``next`` and ``meta.total``; 404
    when the storefront does not have the album or playlist [doc: Get a Catalog Playlist's
    Relationship Directly by Name]."""
    storefront = _storefront(pipeline, call)
    if isinstance(storefront, Reply):
        return storefront
    type_, id_ = call.params["type"], call.params["id"]
    catalog = pipeline.policy.catalog
    resource = catalog.get(type_, id_, storefront)
    if resource is None:
        return _not_in_catalog(call, type_, id_)
    parsed = call.parsed
    found = catalog.tracks(type_, id_, storefront)
    href = f"{resource['href']}/tracks"
    body = track_page(href, found, parsed["offset"], parsed["limit"], parsed.get("l"))
    return json_reply(200, {**body, "meta": {"total": len(found)}})


def library_relationship(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/catalog/{storefront}/{type}/{id}/library``: the user's library copy, or 404
    when the item was not added [seen]."""
    storefront = _storefront(pipeline, call)
    if isinstance(storefront, Reply):
        return storefront
    type_, id_ = call.params["type"], call.params["id"]
    copy = _Copies(pipeline, call).of(type_, id_)
    if not copy:
        listed = pipeline.policy.catalog.has(type_, id_)
        call.exchange.reason = NOT_IN_LIBRARY if listed else NOT_IN_CATALOG
        detail = f"No library resource for {type_} '{id_[:64]}'"
        return call.fail(AppleError(404, "40400", detail))
    return json_reply(200, {"data": copy})


CATALOG_ENDPOINTS = (
    Endpoint(
        "searchCatalog",
        "GET",
        f"{CATALOG}/search",
        "search_parameters",
        search,
        user_token=False,
    ),
    Endpoint(
        "getCatalogResources",
        "GET",
        f"{CATALOG}/{{type:{_TYPES}}}",
        "catalog_parameters",
        several,
        user_token=False,
    ),
    Endpoint(
        "getCatalogResource",
        "GET",
        f"{CATALOG}/{{type:{_TYPES}}}/{{id}}",
        "catalog_item_parameters",
        one,
        user_token=False,
    ),
    Endpoint(
        "getCatalogResourceTracks",
        "GET",
        f"{CATALOG}/{{type:albums|playlists}}/{{id}}/tracks",
        "catalog_tracks_parameters",
        tracks,
        user_token=False,
    ),
    Endpoint(
        "getCatalogResourceLibrary",
        "GET",
        f"{CATALOG}/{{type:{_TYPES}}}/{{id}}/library",
        "catalog_item_parameters",
        library_relationship,
    ),
)
