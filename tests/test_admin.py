"""The admin API and its client, against the Python API (mockserver/admin.py, client.py,
controller.py)."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

import pytest

from mockserver import (
    AdminClient,
    AdminError,
    ConfigError,
    LiveServer,
    MockClock,
    create_app,
    fingerprint,
)

from support import SONGS, USER_TOKEN, AsgiCaller, Harness


def admin_request(
    harness: Harness, method: str, path: str, body: bytes | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(f"{harness.server.url}/_mock{path}", data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            content = response.read()
            return response.status, json.loads(content) if content else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_python_and_admin_apis_give_identical_results(auth_headers: dict[str, str]) -> None:
    app = create_app(clock=MockClock())
    with LiveServer(app) as server:
        admin, python = AdminClient(server.url), app.mock
        from support import LiveCaller

        call = LiveCaller(server, auth_headers)
        admin.add_rule(id="first-fails", match={"calls": 1}, action={"status": 503})
        python.add_rule(id="albums-slow", match={"types": ["albums"]}, action={"delay": 0.01})
        for target in ("ids[songs]=1", "ids[songs]=2,x", "ids[albums]=3", "foo=1"):
            call(f"/v1/me/library?{target}")
        assert admin.journal_entries() == python.journal_entries()
        assert admin.journal_entries(status=202, limit=1) == python.journal_entries(
            status=202, limit=1
        )
        assert admin.journal_count(code="40004") == python.journal_count(code="40004") == 1
        assert admin.journal_stats() == python.journal_stats()
        assert admin.list_rules() == python.list_rules()
        assert admin.get_library(USER_TOKEN) == python.get_library(USER_TOKEN)
        assert admin.settings == python.settings
        assert admin.configure(repeated_keys="reject") == python.settings
        assert admin.get_time()["frozen"] is False
        assert (
            admin.set_time(1_900_000_000)
            == python.get_time()
            == {"now": 1_900_000_000, "frozen": True}
        )


def test_health(harness: Harness) -> None:
    assert admin_request(harness, "GET", "/health") == (200, {"status": "ok"})
    assert AdminClient(harness.server.url).health()
    assert not AdminClient("http://127.0.0.1:9", timeout=0.5).health()


def test_unknown_admin_routes_are_404_and_wrong_methods_405(harness: Harness) -> None:
    status, body = admin_request(harness, "GET", "/nothing-here")
    assert status == 404
    assert body["errors"][0]["code"] == "40400"
    status, body = admin_request(harness, "POST", "/health")
    assert status == 405


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("POST", "/rules", b"{not json", "not valid JSON"),
        ("POST", "/rules", b"[1]", "a rule must be an object"),
        (
            "POST",
            "/rules",
            b'{"action": {"status": 302}}',
            "302 must be 202 or a status from 400 to 599",
        ),
        ("PUT", "/config", b'{"repeated_keys": "maybe"}', "invalid setting 'repeated_keys'"),
        ("PATCH", "/config", b'{"colour": 1}', "unknown setting 'colour'"),
        ("PATCH", "/config", b'{"admin_token": "xxxxxxxxxx"}', "admin_token cannot be changed"),
        (
            "PATCH",
            "/config",
            b'{"developer_keys": ["-----BEGIN PUBLIC KEY-----\\nAAAA\\n"]}',
            "developer_keys",
        ),
        ("PUT", "/library/u", b'{"artists": ["1"]}', "invalid body"),
        ("PUT", "/clock", b'{"advance": -1}', "invalid body at '/advance'"),
        ("PUT", "/clock", b"{}", "invalid body"),
        ("POST", "/reset", b'{"namespace": 5}', "reset takes"),
        ("GET", "/journal?status=abc", None, "must be a whole number"),
        ("GET", "/journal?colour=red", None, "invalid journal filter"),
        ("DELETE", "/journal?colour=red", None, "unknown parameter"),
    ],
)
def test_bad_admin_requests_are_400_and_change_nothing(
    harness: Harness, method: str, path: str, body: bytes | None, message: str
) -> None:
    harness.control.add_rule(id="keep", action={"status": 500}, times=1)
    harness.control.put_library("u", {"songs": ["1"]})
    before = (
        harness.mock.settings,
        harness.mock.list_rules(),
        harness.mock.get_library("u"),
        harness.mock.get_time()["frozen"],
    )
    status, reply = admin_request(harness, method, path, body)
    assert status == 400
    assert message in reply["errors"][0]["detail"]
    assert reply["errors"][0]["status"] == "400"
    after = (
        harness.mock.settings,
        harness.mock.list_rules(),
        harness.mock.get_library("u"),
        harness.mock.get_time()["frozen"],
    )
    assert after == before


def test_client_raises_config_error_for_400_and_admin_error_otherwise(harness: Harness) -> None:
    client = AdminClient(harness.server.url)
    with pytest.raises(ConfigError, match="repeated_keys"):
        client.configure(repeated_keys="maybe")
    with pytest.raises(AdminError) as caught:
        client._call("GET", "/missing")
    assert caught.value.status == 404
    assert not client.delete_rule("no-such-rule")


def test_put_replaces_and_patch_changes_config(harness: Harness) -> None:
    harness.control.configure(repeated_keys="reject", max_target_length=1000)
    assert harness.mock.settings.max_target_length == 1000
    status, config = admin_request(harness, "PUT", "/config", b'{"wrong_shape_ids": "reject"}')
    assert status == 200
    assert config["wrong_shape_ids"] == "reject"
    assert config["repeated_keys"] == "merge"  # PUT replaced everything
    assert "admin_token" not in config
    status, config = admin_request(harness, "PATCH", "/config", b'{"max_target_length": 2000}')
    assert (config["wrong_shape_ids"], config["max_target_length"]) == ("reject", 2000)
    assert harness.call("/v1/me/library?ids[songs]=abc").status == 400  # the new pipeline is live


def test_config_rules_replace_live_rules_only_when_given(harness: Harness) -> None:
    harness.control.add_rule(id="live", action={"status": 500})
    harness.control.configure(seed=3)
    assert [r["id"] for r in harness.control.list_rules()] == ["live"]
    harness.control.configure(rules=[{"id": "configured", "action": {"status": 503}}])
    assert [r["id"] for r in harness.control.list_rules()] == ["configured"]


def test_full_reset(harness: Harness) -> None:
    harness.control.configure(rules=[{"id": "configured", "action": {"status": 503}, "times": 1}])
    harness.call("/v1/me/library?ids[songs]=1")
    harness.control.add_rule(id="extra", action={"status": 500})
    harness.control.set_time(1_900_000_000)
    harness.control.put_library(USER_TOKEN, {"songs": ["1"]})
    harness.control.reset()
    rules = harness.control.list_rules()
    assert [(r["id"], r["applied"]) for r in rules] == [("configured", 0)]
    assert harness.control.get_library(USER_TOKEN)["songs"] == []
    assert harness.control.journal_count() == 0
    assert harness.control.get_time()["frozen"] is False


def test_namespace_reset_keeps_other_users(harness: Harness) -> None:
    control = harness.control
    for user in ("alice", "bob"):
        control.add_rule(match={"user_token": user, "calls": 1}, action={"status": 500})
        harness.call("/v1/me/library?ids[songs]=1", headers={"Music-User-Token": user})
        harness.call("/v1/me/library?ids[songs]=2", headers={"Music-User-Token": user})
    control.reset(namespace="alice")
    assert [r["match"]["user_token"] for r in control.list_rules()] == ["bob"]
    assert control.get_library("alice")["songs"] == []
    assert [i["catalog_id"] for i in control.get_library("bob")["songs"]] == ["2"]
    assert {e.user for e in control.journal_entries()} == {fingerprint("bob")}


def test_namespace_settings_apply_to_that_user_only(harness: Harness) -> None:
    control, dup = harness.control, "/v1/me/library?ids[songs]=1&ids[songs]=2"
    alice, bob = {"Music-User-Token": "alice"}, {"Music-User-Token": "bob"}
    assert control.configure(namespace="alice", repeated_keys="reject").repeated_keys == "reject"
    assert harness.call(dup, headers=alice).status == 400
    assert harness.call(dup, headers=bob).status == 202
    assert control.settings_for("alice").repeated_keys == "reject"
    assert control.settings.repeated_keys == control.settings_for("bob").repeated_keys == "merge"
    with pytest.raises(ConfigError, match="'journal_size' is server-wide"):
        control.configure(namespace="alice", journal_size=5)
    control.configure(seed=7)  # a server-wide change keeps the namespace's own settings
    assert (control.settings_for("alice").seed, control.settings_for("alice").repeated_keys) == (
        7,
        "reject",
    )
    control.reset(namespace="alice")
    assert harness.call(dup, headers=alice).status == 202
    control.configure(namespace="bob", wrong_shape_ids="reject")
    control.reset()
    assert control.settings_for("bob").wrong_shape_ids == "ignore"


def test_namespace_settings_over_http_are_validated(harness: Harness) -> None:
    status, body = admin_request(harness, "PATCH", "/config?namespace=alice", b'{"seed": NaN}')
    assert status == 400
    status, body = admin_request(harness, "PATCH", "/config?namespace=", b'{"seed": 1}')
    assert (status, body["errors"][0]["detail"]) == (
        400,
        "'namespace' must be given once, as a non-empty Music-User-Token",
    )
    status, body = admin_request(harness, "GET", "/config?user=alice")
    assert status == 400
    status, body = admin_request(harness, "PUT", "/config?namespace=alice", b'{"seed": 4}')
    assert (status, body["seed"]) == (200, 4)
    assert harness.mock.settings.seed == 0


def test_trusted_keys_turn_signature_checks_on(
    harness: Harness, signing_key: Any, auth_headers: dict[str, str]
) -> None:
    from mockserver.tokens import generate_private_key, mint_developer_token, public_key_pem

    other = mint_developer_token(generate_private_key())
    stranger = {**auth_headers, "Authorization": f"Bearer {other}"}
    assert harness.call(SONGS, headers=stranger).status == 202  # no key: structure only
    assert harness.control.trust_developer_key(public_key_pem(signing_key)) is True
    assert harness.control.trust_developer_key(public_key_pem(signing_key)) is False
    assert len(harness.control.settings.developer_keys) == 1
    assert harness.call(SONGS).status == 202
    assert harness.call(SONGS, headers=stranger).status == 401
    status, body = admin_request(harness, "POST", "/keys", b'{"key": "not a key"}')
    assert status == 400
    assert "not a key" not in json.dumps(body)  # key material is never echoed


def test_clock_control(harness: Harness) -> None:
    control = harness.control
    assert control.set_time(1_900_000_000) == {"now": 1_900_000_000, "frozen": True}
    assert control.advance_time(60)["now"] == 1_900_000_060
    running = control.set_time(1_900_000_000, frozen=False)
    assert running["frozen"] is False
    assert running["now"] >= 1_900_000_000
    assert control.real_time()["frozen"] is False


def test_clock_control_needs_a_mock_clock(auth_headers: dict[str, str]) -> None:
    from mockserver.clock import SystemClock

    app = create_app(clock=SystemClock())
    with pytest.raises(ConfigError, match="cannot be controlled"):
        app.mock.advance_time(1)
    reply = AsgiCaller(app, {})("/_mock/clock", method="PUT", body=b'{"advance": 1}')
    assert reply.status == 400


def _admin_from(
    host: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    *,
    client: str = "127.0.0.1",
    **settings: Any,
) -> int:
    """The status of GET /_mock/config arriving on ``host`` from ``client``."""
    app = create_app(**settings)
    messages: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/_mock/config",
        "raw_path": b"/_mock/config",
        "query_string": b"",
        "root_path": "",
        "headers": headers or [],
        "client": (client, 5000),
        "server": (host, 8080),
    }
    asyncio.run(app(scope, receive, send))
    return int(messages[0]["status"])


def test_admin_api_answers_loopback_only_without_a_token() -> None:
    assert _admin_from("127.0.0.1") == 200
    assert _admin_from("::1", client="::1") == 200
    # a dual-stack socket (--host ::) sees IPv4 loopback clients as ::ffff:127.0.0.1
    assert _admin_from("::ffff:127.0.0.1", client="::ffff:127.0.0.1") == 200
    assert _admin_from("192.0.2.10") == 403  # listening on a public address
    assert _admin_from("127.0.0.1", client="198.51.100.7") == 403  # another machine
    forwarded = [(b"x-forwarded-for", b"198.51.100.7")]
    assert _admin_from("127.0.0.1", forwarded) == 403  # a proxy on this machine


def test_admin_token_protects_everywhere_when_set() -> None:
    token = "s3cret-admin-token"
    header = [(b"x-mock-admin-token", token.encode())]
    assert _admin_from("192.0.2.10", header, client="198.51.100.7", admin_token=token) == 200
    wrong = [(b"x-mock-admin-token", b"wrong-token-xx")]
    assert _admin_from("192.0.2.10", wrong, admin_token=token) == 403
    assert _admin_from("127.0.0.1", admin_token=token) == 403


def test_admin_client_sends_the_token(auth_headers: dict[str, str]) -> None:
    app = create_app(admin_token="s3cret-admin-token")
    with LiveServer(app) as server:
        with pytest.raises(AdminError) as caught:
            AdminClient(server.url).list_rules()
        assert caught.value.status == 403
        assert AdminClient(server.url, admin_token="s3cret-admin-token").list_rules() == []
