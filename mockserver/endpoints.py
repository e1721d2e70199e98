"""The ``/v1/me/library`` endpoints: add resources (``POST``) and read them back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import AppleError
from .ids import LIBRARY_KINDS
from .library import LibraryFull
from .routing import Endpoint
from .wire import Reply, json_reply

if TYPE_CHECKING:
    from .pipeline import Call, Pipeline

__all__ = ["ENDPOINT", "LIBRARY_ENDPOINTS"]

ENDPOINT = "/v1/me/library"
_LIBRARY_TYPES = "|".join(sorted(LIBRARY_KINDS))


def add(pipeline: Pipeline, call: Call) -> Reply:
    """``POST /v1/me/library``: ids that can be added are added; the answer is an empty 202."""
    parsed = call.parsed
    exchange = call.exchange
    settings = pipeline.settings
    try:
        result = pipeline.library.add(
            call.user_token or "",
            parsed.addable,
            exchange.time,
            policy=pipeline.policy,
            visibility_delay=pipeline.visibility_delay,
            max_users=settings.max_users,
            max_items=settings.max_library_items,
        )
    except LibraryFull as full:
        return call.fail(AppleError(507, "50700", str(full)))
    exchange.added = result.added
    exchange.added_all = result.added is parsed.ids
    exchange.dropped = result.dropped or None
    exchange.ignored = parsed.ignored + result.ignored if result.ignored else parsed.ignored
    return pipeline.accepted


def read(pipeline: Pipeline, call: Call) -> Reply:
    """``GET /v1/me/library/{type}``: a page of the user's visible items, oldest first."""
    type_ = call.params["type"]
    limit, offset = call.parsed["limit"], call.parsed["offset"]
    items = pipeline.library.items(call.user_token or "", type_, now=call.exchange.time)
    body: dict[str, Any] = {
        "data": [item.to_resource() for item in items[offset : offset + limit]],
        "meta": {"total": len(items)},
    }
    if offset + limit < len(items):
        body["next"] = f"{ENDPOINT}/{type_}?offset={offset + limit}"
        if limit != 25:
            body["next"] += f"&limit={limit}"
    return json_reply(200, body)


LIBRARY_ENDPOINTS = (
    Endpoint("addResourceToLibrary", "POST", ENDPOINT, "queries", add),
    Endpoint(
        "getLibraryResources",
        "GET",
        f"{ENDPOINT}/{{type:{_LIBRARY_TYPES}}}",
        "read_parameters",
        read,
    ),
)
