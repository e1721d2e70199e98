"""Get a User's Storefront (mockserver/storefronts.py): the storefront of the user the
Music-User-Token names, Apple-shaped, behind the same token checks as every /v1/me call."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from mockserver import create_app
from mockserver.schemas import load_schemas

from support import AsgiCaller, assert_error

PATH = "/v1/me/storefront"


def caller(dev_token: str, **settings: Any) -> AsgiCaller:
    return AsgiCaller(create_app(**settings), {"Authorization": f"Bearer {dev_token}"})


def storefront_of(call: AsgiCaller, user: str, target: str = PATH) -> dict[str, Any]:
    reply = call(target, method="GET", headers={"Music-User-Token": user})
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.json()
    validator = load_schemas().validator("api.schema.json#/$defs/StorefrontsResponse")
    validator.validate(body)
    [storefront] = body["data"]
    return dict(storefront)


def test_the_default_storefront_is_apples_us_example(dev_token: str) -> None:
    assert storefront_of(caller(dev_token), "anyone") == {
        "id": "us",
        "type": "storefronts",
        "href": "/v1/storefronts/us",
        "attributes": {
            "defaultLanguageTag": "en-US",
            "explicitContentPolicy": "allowed",
            "name": "United States",
            "supportedLanguageTags": ["en-US", "es-MX", "ar", "ru", "zh-Hans-CN"],
        },
    }


def test_each_user_gets_their_own_storefront(dev_token: str) -> None:
    call = caller(
        dev_token,
        storefront="jp",
        user_storefronts={"alice": "gb", "bob": "zw"},
        languages={"gb": {"default": "en-GB", "supported": ["en-GB", "cy"]}},
    )
    japan = storefront_of(call, "carol", PATH + "?l=en-US")
    assert (japan["id"], japan["attributes"]["name"]) == ("jp", "Japan")
    assert japan["attributes"]["supportedLanguageTags"] == ["ja", "en-US"]
    britain = storefront_of(call, "alice")
    assert britain["href"] == "/v1/storefronts/gb"
    assert britain["attributes"]["supportedLanguageTags"] == ["en-GB", "cy"]
    unnamed = storefront_of(call, "bob")  # neither named nor described: the fake's guesses
    assert unnamed["attributes"]["name"] == "ZW"
    assert unnamed["attributes"]["defaultLanguageTag"] == "en-GB"


def test_it_needs_both_tokens_and_takes_only_l(
    dev_token: str, errors_validator: Draft202012Validator
) -> None:
    call = caller(dev_token)
    missing = call(PATH, method="GET")
    assert_error(missing, errors_validator, 403, "40300")
    no_developer = call(
        PATH, method="GET", headers={"Authorization": None, "Music-User-Token": "u"}
    )
    assert (no_developer.status, no_developer.body) == (401, b"")
    extra = call(PATH + "?ids=1", method="GET", headers={"Music-User-Token": "u"})
    assert_error(extra, errors_validator, 400, "40004", "ids")
    revoked = caller(dev_token, revoked_user_tokens=["gone"])
    refused = revoked(PATH, method="GET", headers={"Music-User-Token": "gone"})
    assert_error(refused, errors_validator, 403, "40300")


def test_other_methods_are_405_with_allow(
    dev_token: str, errors_validator: Draft202012Validator
) -> None:
    reply = caller(dev_token)(PATH, method="POST", headers={"Music-User-Token": "u"})
    assert_error(reply, errors_validator, 405, "40500")
    assert reply.headers["allow"] == "GET, HEAD"
