"""Get a User's Storefront (``GET /v1/me/storefront``): the storefront resource of the user
the Music-User-Token names (``user_storefronts``, else ``storefront``), with its language
tags from ``languages``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import Settings
from .params import Parameters
from .routing import Endpoint
from .schemas import SchemaSet
from .wire import Reply, json_reply

if TYPE_CHECKING:
    from .pipeline import Call, Pipeline

__all__ = ["STOREFRONT_ENDPOINTS", "storefront_parsers", "storefront_resource"]

#: Names of the storefronts clients meet most [doc: Get a Storefront, Get Multiple
#: Storefronts]; another code is named by itself in upper case [guess].
_NAMES = {
    "au": "Australia",
    "br": "Brazil",
    "ca": "Canada",
    "cn": "China mainland",
    "de": "Germany",
    "es": "Spain",
    "fr": "France",
    "gb": "United Kingdom",
    "hk": "Hong Kong",
    "in": "India",
    "it": "Italy",
    "jp": "Japan",
    "kr": "Republic of Korea",
    "mx": "Mexico",
    "nl": "Netherlands",
    "ru": "Russia",
    "se": "Sweden",
    "us": "United States",
}
#: The language tags of a storefront ``languages`` does not describe [guess].
_OTHER_LANGUAGES = {"default": "en-GB", "supported": ["en-GB"]}


def storefront_resource(settings: Settings, code: str) -> dict[str, Any]:
    """The ``storefronts`` resource of ``code`` as Apple serves it [doc]."""
    languages = settings.languages.get(code, _OTHER_LANGUAGES)
    return {
        "id": code,
        "type": "storefronts",
        "href": f"/v1/storefronts/{code}",
        "attributes": {
            "defaultLanguageTag": languages["default"],
            "explicitContentPolicy": "allowed",
            "name": _NAMES.get(code, code.upper()),
            "supportedLanguageTags": list(languages["supported"]),
        },
    }


def storefront_parsers(schemas: SchemaSet, settings: Settings) -> dict[str, Parameters]:
    return {"storefront_parameters": Parameters(schemas, "storefront-query.schema.json", settings)}


def user_storefront(pipeline: Pipeline, call: Call) -> Reply:
    """200 ``{"data": [storefront]}``: the user's storefront [doc]."""
    code = pipeline.policy.storefront_of(call.user_token)
    return json_reply(200, {"data": [storefront_resource(pipeline.settings, code)]})


STOREFRONT_ENDPOINTS = (
    Endpoint(
        "getUserStorefront", "GET", "/v1/me/storefront", "storefront_parameters", user_storefront
    ),
)
