"""What never leaves the fake whole (mockserver/redaction.py)."""

from __future__ import annotations

import logging

import pytest

from mockserver.redaction import fingerprint, is_secret_header, redact, redact_bytes


def test_redact_keeps_no_character_of_the_secret(dev_token: str) -> None:
    shown = redact(f"Bearer {dev_token}")
    assert shown == f"Bearer [redacted: {len(dev_token)} characters]"
    assert redact(dev_token) == f"[redacted: {len(dev_token)} characters]"
    for secret in ("ab", "short-user-token", dev_token):
        assert secret[:3] not in (redact(secret) or "")
    assert redact(None) is None
    assert redact_bytes(b"Bearer abc") == b"Bearer [redacted: 3 characters]"


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "music-user-token",
        "Media-User-Token",
        "Cookie",
        "set-cookie",
        "X-Mock-Admin-Token",
        "x-api-key",
        "Proxy-Authorization",
        b"x-auth-hash",
    ],
)
def test_credential_headers_are_secret(name: str | bytes) -> None:
    assert is_secret_header(name)


@pytest.mark.parametrize("name", ["content-type", "origin", "x-client", b"host", "accept"])
def test_other_headers_are_shown(name: str | bytes) -> None:
    assert not is_secret_header(name)


def test_fingerprints_are_stable_distinct_and_not_the_token() -> None:
    assert fingerprint("alice") == fingerprint("alice") != fingerprint("bob")
    assert "alice" not in (fingerprint("alice") or "")
    assert len(fingerprint("alice") or "") == 16
    assert fingerprint(None) is None


# --- every output channel ------------------------------------------------------------------

SECRET_HEADERS = {
    "Music-User-Token": "SECRET-music-user-token-0001",
    "Media-User-Token": "SECRET-media-user-token-0002",
    "Cookie": "media-user-token=SECRET-cookie-0003; itua=us",
    "Set-Cookie": "session=SECRET-set-cookie-0004",
    "X-Mock-Admin-Token": "SECRET-admin-token-0005",
    "X-Api-Key": "SECRET-api-key-0006",
    "X-Auth-Extra": "SECRET-auth-0007",
    "X-Session-Token": "SECRET-session-token-0008",
}
SECRETS = [f"SECRET-{part}" for part in ("music-user-token-0001", "media-user-token-0002")]
SECRETS += ["SECRET-cookie-0003", "SECRET-set-cookie-0004", "SECRET-admin-token-0005"]
SECRETS += ["SECRET-api-key-0006", "SECRET-auth-0007", "SECRET-session-token-0008"]


def _requests(dev_token: str) -> list[tuple[str, dict[str, str]]]:
    """An accepted add, then refusals of every kind, each carrying every secret header."""
    valid = {"Authorization": f"Bearer {dev_token}", **SECRET_HEADERS}
    return [
        ("/v1/me/library?ids[songs]=1", valid),
        ("/v1/me/library?ids[artists]=1", valid),
        ("/v1/me/library?ids[songs]=1", {**valid, "Authorization": "Bearer SECRET-bad-0009"}),
        ("/v1/me/library?ids[songs]=1", {k: v for k, v in valid.items() if "User" not in k}),
        ("/v1/nowhere", valid),
    ]


def _assert_clean(text: str, where: str) -> None:
    for secret in [*SECRETS, "SECRET-bad-0009"]:
        assert secret not in text, f"{secret} leaked into {where}"


@pytest.mark.parametrize("mode", ["in-process", pytest.param("live", marks=pytest.mark.live)])
def test_no_secret_header_reaches_any_output(
    mode: str, dev_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    import http.client
    import json

    from mockserver import AdminClient, LiveServer, create_app

    from support import AsgiCaller

    app = create_app()
    app.access_log = True
    caplog.set_level(logging.DEBUG)
    bodies = []
    if mode == "in-process":
        call = AsgiCaller(app, {})
        for target, headers in _requests(dev_token):
            bodies.append(call(target, headers=headers).body.decode())
        journal = json.dumps([e.to_json() for e in app.mock.journal_entries()])
        admin_json = call("/_mock/journal", method="GET").body.decode()
    else:
        with LiveServer(app) as server:
            for target, headers in _requests(dev_token):
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                connection.request("POST", target, headers=headers)
                bodies.append(connection.getresponse().read().decode())
                connection.close()
            journal = json.dumps([e.to_json() for e in AdminClient(server.url).journal_entries()])
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", "/_mock/journal")
            admin_json = connection.getresponse().read().decode()
            connection.close()
    assert "[redacted" in journal  # the headers are there, their values are not
    _assert_clean(journal, "the journal")
    _assert_clean(admin_json, "GET /_mock/journal")
    _assert_clean("\n".join(bodies), "the answers")
    _assert_clean(caplog.text, "the logs (DEBUG, access log on)")
    assert "apple_music_mock.access" in {r.name for r in caplog.records}


def test_no_secret_header_reaches_a_failure_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import httpx

        SECRET_HEADERS = {SECRET_HEADERS!r}

        def test_fails(apple_music, apple_music_respx):
            headers = {{**apple_music.headers, **SECRET_HEADERS}}
            httpx.post("https://api.music.apple.com/v1/me/library?ids[artists]=1", headers=headers)
            httpx.post("https://amp-api.music.apple.com/v1/me/library?ids[songs]=1", headers=headers)
            assert False, "fails on purpose"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "--apple-music-strict")
    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "apple-music-mock received 2 request(s)" in output
    _assert_clean(output, "the pytest report")
