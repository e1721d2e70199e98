"""Every reproduction of issue 10, replayed against the fixed fake: each gets a clean 4xx (or
the documented limit's answer), no ERROR and no traceback in the log, and the journal and the
admin API stay readable. In the issue's order: High, Medium, Low."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from mockserver import (
    ConfigError,
    LiveServer,
    MockApp,
    MockClock,
    create_app,
    fingerprint,
    mint_developer_token,
    public_key_pem,
)
from mockserver.tokens import b64url, forge_token

from .conftest import (
    Cli,
    Raw,
    Served,
    Watch,
    admin,
    assert_apple_error,
    assert_healthy,
    assert_live_readable,
    assert_readable,
    bound,
    call,
    get,
    read_answer,
    request_bytes,
    send_raw,
    tally,
    user,
)

pytestmark = pytest.mark.reliability

LIBRARY = "/v1/me/library"


@pytest.fixture
def token(dev_token: str, watch: Watch) -> str:
    """The session's valid developer token, registered as a secret."""
    return watch.secret(dev_token)


def apple(token: str, music_user: str = "") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Music-User-Token": music_user or user()}


def replayed(area: str, count: int = 1) -> None:
    tally("reproductions (issue 10)", requests=count)
    tally(f"reproduction: {area}", cases=count)


def state(app: MockApp, *users: str) -> tuple[Any, ...]:
    """What a refused admin request must leave as it was."""
    mock = app.mock
    return (
        mock.settings.to_mapping(),
        mock.list_rules(),
        mock.get_time(),
        [mock.get_library(u) for u in users],
    )


def frozen_app(**settings: Any) -> MockApp:
    clock = MockClock()
    clock.set(time.time())
    return create_app(clock=clock, **settings)


# --- High --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [f"{LIBRARY}?ids[songs]=a%00b", f"{LIBRARY}?ids[songs]=a\x00b"])
def test_a_nul_byte_in_an_id_leaves_the_journal_readable(
    target: str, token: str, watch: Watch
) -> None:
    app = create_app()
    reply = call(app, "POST", target, apple(token))
    assert reply.status in (202, 400), reply
    assert reply.status < 500
    entry = app.mock.journal_entries()[-1]
    assert json.loads(json.dumps(entry.to_json()))["query"] == entry.query
    assert assert_readable(app, watch) == 1
    # the same over HTTP, then the journal read back by the admin API
    with LiveServer(app) as server:
        sent = send_raw(
            server.port, request_bytes("POST", target.replace("\x00", "%00"), apple(token))
        )
        assert sent.status == 202
        assert assert_live_readable(server.port, watch) == 2
    replayed("NUL byte id", 2)


def test_a_nul_byte_id_in_a_failing_plugin_test_does_not_end_the_session(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import httpx

        URL = "https://api.music.apple.com/v1/me/library?ids[songs]=a%00b"

        def test_fails_after_sending_a_nul(apple_music, apple_music_respx):
            httpx.post(URL, headers=apple_music.headers)
            assert False, "fails on purpose: its report shows the requests"

        def test_passes_after_sending_a_nul(apple_music, apple_music_respx):
            assert httpx.post(URL, headers=apple_music.headers).status_code == 202

        def test_runs_after_them():
            pass
        """
    )
    for extra in ([], ["--apple-music-strict"]):
        result = pytester.runpytest("-p", "no:cacheprovider", *extra)
        result.assert_outcomes(failed=1, passed=2)
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    replayed("NUL byte id in the plugin", 2)


# --- Medium ------------------------------------------------------------------------------

NOW = int(time.time())
HEADER = '{"alg":"ES256","kid":"MOCKKEY001"}'
CLAIMS = '{"iss":"MOCKTEAM01","iat":%d,"exp":%s}'


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def raw_token(header: str, claims: str, signature: bytes = b"\x01" * 64) -> str:
    return ".".join([b64url(header.encode()), b64url(claims.encode()), b64url(signature)])


CRAFTED = {
    "exp 2**1024": raw_token(HEADER, CLAIMS % (NOW, 2**1024)),
    "exp 10**5000": raw_token(HEADER, CLAIMS % (NOW, "9" * 5000)),
    "exp 1e400 (infinity)": raw_token(HEADER, CLAIMS % (NOW, "1e400")),
    "iat -1e400": raw_token(HEADER, f'{{"iss":"MOCKTEAM01","iat":-1e400,"exp":{NOW + 60}}}'),
    "exp NaN": raw_token(HEADER, CLAIMS % (NOW, "NaN")),
    "header nested 1000 deep": raw_token(
        f'{{"alg":"ES256","kid":"MOCKKEY001","x":{deep(1000)}}}', CLAIMS % (NOW, NOW + 60)
    ),
    "claims nested 1000 deep": raw_token(HEADER, deep(1000)),
    "claim nested 1000 deep": raw_token(
        HEADER, f'{{"iss":"MOCKTEAM01","iat":{NOW},"exp":{NOW + 60},"x":{deep(1000)}}}'
    ),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_crafted_tokens_are_401_and_journaled(
    name: str, signing_key: ec.EllipticCurvePrivateKey, watch: Watch
) -> None:
    crafted = watch.secret(CRAFTED[name])
    apps = [
        create_app(),
        create_app(developer_keys=[public_key_pem(signing_key)]),
        create_app(unauthorized_body="errors", max_token_length=1_048_576),
    ]
    for app in apps:
        reply = call(app, "POST", f"{LIBRARY}?ids[songs]=1", apple(crafted))
        assert reply.status == 401, (name, reply)
        (entry,) = app.mock.journal_entries()
        assert entry.status == 401, entry
        assert entry.reason, entry
        assert_readable(app, watch)
    replayed("crafted tokens (exp, nesting)", len(apps))


def test_nesting_far_past_the_recursion_limit_is_a_401() -> None:
    app = create_app(max_token_length=1_048_576)
    for segment in (deep(200_000), '{"a":' * 100_000 + "1" + "}" * 100_000):
        reply = call(app, "POST", f"{LIBRARY}?ids[songs]=1", apple(raw_token(HEADER, segment)))
        assert reply.status == 401
    assert app.mock.journal_count(status=401) == 2
    replayed("crafted tokens (exp, nesting)", 2)


def test_huge_headers_and_queries_keep_the_journal_bounded_in_bytes(watch: Watch) -> None:
    limit = 256 * 1024
    app = create_app(journal_max_bytes=limit)
    huge = "x" * 100_000
    for n in range(60):
        reply = call(app, "POST", f"{LIBRARY}?ids[songs]={n}", {"X-Big": huge, "Referer": huge})
        assert reply.status == 401
        target = f"{LIBRARY}?ids[songs]=1&pad={'y' * 100_000}"
        assert call(app, "POST", target).status == 414
    stats = app.mock.journal_stats()
    assert stats["total"] == 120
    assert stats["overflow"] > 0
    entries = app.mock.journal_entries()
    for entry in entries:
        assert all(len(value) < 4200 for value in entry.headers.values()), entry.headers.keys()
        assert len(entry.query) < app.mock.settings.max_target_length + 100
    body = admin(app, "GET", "/journal").body
    assert len(body) < 2 * limit, len(body)
    # the default budget: 300 hostile requests read back in a few MB, not hundreds
    default = create_app()
    for n in range(150):
        call(default, "POST", f"{LIBRARY}?ids[songs]={n}", {"X-Big": huge})
        call(default, "POST", f"{LIBRARY}?ids[songs]=1&pad={'y' * 100_000}")
    assert len(admin(default, "GET", "/journal").body) < 5_000_000
    assert_readable(app, watch)
    replayed("100 KB headers and queries", 420)


NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]
NON_FINITE_BODIES = [
    *(("PATCH", "/config", f'{{"drop_rate": {v}}}') for v in NON_FINITE),
    *(("PATCH", "/config", f'{{"visibility_delay_seconds": {v}}}') for v in NON_FINITE),
    ("PATCH", "/config", '{"clock_skew_seconds": Infinity}'),
    ("PATCH", "/config", '{"journal_size": 1e400}'),
    ("PATCH", "/config", '{"header_timeout_seconds": NaN}'),
    ("PATCH", "/config", '{"rate_limit": {"requests": 5, "window_seconds": NaN}}'),
    ("PATCH", "/config", '{"rules": [{"action": {"delay": NaN}}]}'),
    ("PUT", "/config", '{"drop_rate": NaN}'),
    *(("POST", "/rules", f'{{"action": {{"delay": {v}}}}}') for v in NON_FINITE),
    ("POST", "/rules", '{"action": {"delay": [0, Infinity]}}'),
    ("POST", "/rules", '{"action": {"status": 503}, "probability": NaN}'),
    ("POST", "/rules", '{"action": {"status": 503}, "times": 1e400}'),
    *(("PUT", "/clock", f'{{"now": {v}}}') for v in NON_FINITE),
    *(("PUT", "/clock", f'{{"advance": {v}}}') for v in NON_FINITE),
    ("PUT", "/library/someone", '{"songs": [NaN]}'),
    ("POST", "/reset", '{"namespace": NaN}'),
]


@pytest.mark.parametrize(("method", "path", "body"), NON_FINITE_BODIES)
def test_non_finite_numbers_in_admin_bodies_are_400_and_change_nothing(
    method: str, path: str, body: str, signing_key: ec.EllipticCurvePrivateKey, watch: Watch
) -> None:
    app = frozen_app()
    app.mock.add_rule(id="kept", action={"status": 503}, match={"user_token": "nobody"})
    app.mock.put_library("someone", {"songs": ["1"]})
    before = state(app, "someone")
    reply = admin(app, method, path, raw=body.encode())
    assert_apple_error(reply, 400, "40000")
    assert state(app, "someone") == before
    assert_readable(app, watch)
    # a NaN clock would let an expired token through: it is still refused
    expired = mint_developer_token(signing_key, issued_at=time.time() - 7200, lifetime=3600)
    assert call(app, "POST", f"{LIBRARY}?ids[songs]=1", apple(expired)).status == 401
    replayed("NaN/Infinity in admin bodies")


def test_slow_header_senders_are_cut_off_while_others_are_served() -> None:
    app = create_app(header_timeout_seconds=0.5, max_connections=8)
    with LiveServer(app) as server:
        slow = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(12)]
        try:
            for sock in slow:
                sock.settimeout(10)
                with contextlib.suppress(OSError):  # past max_connections: closed at once
                    sock.sendall(b"POST /v1/me/library?ids[songs]=1 HTTP/1.1\r\nHost: x\r\n")
            for sock in slow:  # every one is closed: at once, or after the header timeout
                with contextlib.suppress(ConnectionResetError):
                    assert sock.recv(1024) == b""
            assert_healthy(server.port)
        finally:
            for sock in slow:
                sock.close()
    replayed("slowloris", 13)


# --- Low ---------------------------------------------------------------------------------

BAD_NUMBERS = {
    "arabic-indic three": "\u0663",
    "superscript one": "\u00b9",
    "fullwidth one": "\uff11",
    "5000 digits": "9" * 5000,
    "19 digits": "1" * 19,
    "negative": "-1",
    "plus sign": "+1",
    "exponent": "1e3",
    "hex": "0x10",
    "leading space": " 1",
    "empty": "",
}


@pytest.mark.parametrize("value", BAD_NUMBERS.values(), ids=BAD_NUMBERS.keys())
def test_unicode_and_huge_numbers_are_400(value: str, token: str, watch: Watch) -> None:
    app = create_app()
    headers = apple(token)
    escaped = quote(value, safe="")
    for name in ("limit", "offset"):
        reply = call(app, "GET", f"{LIBRARY}/songs?{name}={escaped}", headers)
        assert_apple_error(reply, 400)
    for name in ("status", "since", "limit"):
        for path in ("/journal", "/journal/count"):
            reply = admin(app, "GET", f"{path}?{name}={escaped}")
            assert_apple_error(reply, 400, "40000")
    assert_readable(app, watch)
    replayed("unicode and 5000-digit numbers", 8)


def test_since_in_arabic_indic_digits_is_refused() -> None:
    app = create_app()
    reply = admin(app, "GET", f"/journal?since={quote(chr(0x663))}")
    assert "since" in assert_apple_error(reply, 400)["detail"]
    replayed("since=\u0663")


def _reset_on_close(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _faults_on_gone_clients(fault: str, token: str, watch: Watch) -> None:
    """Ten requests whose rule breaks the connection, each from a client that left at once
    (with a FIN, or a RST): no ERROR, no traceback, each journaled, nothing added."""
    app = create_app()
    app.mock.add_rule(id=fault, action={"fault": fault})
    with LiveServer(app) as server:
        for round_ in range(10):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(request_bytes("POST", f"{LIBRARY}?ids[songs]=1", apple(token)))
            if round_ % 2:
                _reset_on_close(sock)  # gone with a RST, or with a FIN
            sock.close()
        deadline = time.monotonic() + 10
        while app.mock.journal_count() < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.mock.journal_count() == 10
        assert_healthy(server.port)
        assert_live_readable(server.port, watch)
    assert app.mock.journal_count(status=202) == 0
    replayed("faults on gone clients", 10)
    watch.assert_clean()


@pytest.mark.parametrize("fault", ["connection_reset", "empty_response"])
def test_faults_on_clients_already_gone_log_nothing(fault: str, token: str, watch: Watch) -> None:
    _faults_on_gone_clients(fault, token, watch)


def test_truncated_body_on_clients_already_gone_logs_nothing(token: str, watch: Watch) -> None:
    _faults_on_gone_clients("truncated_body", token, watch)


def test_a_client_gone_during_a_delay_is_499_and_adds_nothing(token: str, watch: Watch) -> None:
    app = create_app()
    gone = user("gone")
    app.mock.add_rule(match={"user_token": gone}, action={"delay": 3})
    with LiveServer(app) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(request_bytes("POST", f"{LIBRARY}?ids[songs]=1564531202", apple(token, gone)))
        time.sleep(0.3)
        sock.close()
        deadline = time.monotonic() + 10
        while not app.mock.journal_entries() and time.monotonic() < deadline:
            time.sleep(0.05)
        (entry,) = app.mock.journal_entries()
        assert entry.status == 499, entry
        assert entry.added == {}, entry
        assert app.mock.get_library(gone)["songs"] == []
        assert_live_readable(server.port, watch)
    replayed("client gone during a delay")


@pytest.mark.parametrize(
    ("change", "applied"),
    [
        ({"journal_size": 1e6}, {"journal_size": 1_000_000}),
        ({"max_rules": 5e4, "journal_size": 2e3}, {"max_rules": 50_000, "journal_size": 2000}),
        ({"journal_size": 1.5}, None),
        ({"journal_size": 1e300}, None),
        ({"journal_size": 1e6, "repeated_keys": "never"}, None),
    ],
)
def test_a_config_patch_is_applied_whole_or_not_at_all(
    change: dict[str, Any], applied: dict[str, Any] | None, watch: Watch
) -> None:
    app = frozen_app()
    before = state(app)
    reply = admin(app, "PATCH", "/config", change)
    shown = json.loads(admin(app, "GET", "/config").body)
    if applied is None:
        assert_apple_error(reply, 400, "40000")
        assert state(app) == before
    else:
        assert reply.status == 200, reply
        for name, value in applied.items():
            assert shown[name] == value
            assert type(shown[name]) is int
            assert json.loads(reply.body)[name] == value
    assert app.mock.journal_stats()["size"] == shown["journal_size"]
    assert_readable(app, watch)
    replayed("config PATCH half-applied")


BAD_RULE_HEADERS: list[Any] = [
    {"x-a": "\u20ac"},
    {"x-a": "a\r\nb"},
    {"x-a": "a\nInjected: yes"},
    {"x-a": "\x00"},
    {"": "x"},
    {"x a": "b"},
    {"x-\u00e9": "b"},
    {"content-length": "5"},
    {"Content-Length": "0"},
    {"transfer-encoding": "chunked"},
    {"connection": "close"},
    {"x-a": 5},
    {"x-a": "a" * 10_000},
    {f"x-{n}": "v" for n in range(100)},
]


@pytest.mark.parametrize("headers", BAD_RULE_HEADERS, ids=range(len(BAD_RULE_HEADERS)))
def test_invalid_rule_response_headers_are_refused_at_install(
    headers: dict[str, Any], token: str, watch: Watch
) -> None:
    app = create_app()
    rule = {"action": {"status": 503, "headers": headers}}
    assert_apple_error(admin(app, "POST", "/rules", rule), 400, "40000")
    assert_apple_error(admin(app, "PATCH", "/config", {"rules": [rule]}), 400, "40000")
    with pytest.raises(ConfigError):
        app.mock.add_rule(rule)
    with pytest.raises(ConfigError):
        create_app(rules=[rule])
    assert app.mock.list_rules() == []
    # a valid header is served as scripted
    app.mock.add_rule(action={"status": 503, "headers": {"X-Ok": "yes \u00e9"}})
    reply = call(app, "POST", f"{LIBRARY}?ids[songs]=1", apple(token))
    assert reply.status == 503
    assert reply.headers["x-ok"] == "yes \u00e9"
    assert_readable(app, watch)
    replayed("rule response headers")


@pytest.mark.parametrize("skew", [10**30, 1e308, 2**63, 31_536_001, -1])
def test_a_huge_clock_skew_is_refused(skew: float, token: str, watch: Watch) -> None:
    app = create_app()
    assert_apple_error(admin(app, "PATCH", "/config", {"clock_skew_seconds": skew}), 400)
    with pytest.raises(ConfigError, match="clock_skew_seconds"):
        create_app(clock_skew_seconds=skew)
    assert call(app, "POST", f"{LIBRARY}?ids[songs]=1", apple(token)).status == 202
    assert_readable(app, watch)
    replayed("huge clock_skew_seconds")


@pytest.mark.parametrize(
    "body",
    [b"[]", b"false", b"0", b'""', b"true", b"1.5", b'"x"', b"[{}]", b'{"namespace": ""}',
     b'{"namespace": 5}', b'{"namespace": null}', b'{"other": 1}', b"{", b"\xff"],
)  # fmt: skip
def test_reset_takes_an_object_or_nothing(body: bytes, watch: Watch) -> None:
    app = frozen_app()
    app.mock.add_rule(id="kept", action={"status": 503}, match={"user_token": "nobody"})
    app.mock.put_library("someone", {"songs": ["1"]})
    before = state(app, "someone")
    assert_apple_error(admin(app, "POST", "/reset", raw=body), 400, "40000")
    assert state(app, "someone") == before
    for fine in (b"", b"{}", b"null"):
        assert admin(app, "POST", "/reset", raw=fine).status == 204
    assert app.mock.list_rules() == []
    assert app.mock.get_library("someone")["songs"] == []
    assert_readable(app, watch)
    replayed('reset with [] false 0 ""')


def test_big_admin_bodies_are_413_and_health_answers_meanwhile(watch: Watch) -> None:
    app = create_app()
    limit = app.mock.settings.admin_max_body_bytes
    with LiveServer(app) as server:
        port = server.port
        # declared too large: refused without reading it
        head = request_bytes("PUT", "/_mock/library/u", {"Content-Type": "application/json"})
        head = head.replace(b"Content-Length: 0", b"Content-Length: %d" % (limit * 10))
        error = send_raw(port, head)
        assert error.status == 413, error
        assert b"admin_max_body_bytes" in error.body, error
        # chunked, no length: refused once past the limit
        chunk = b"x" * 65536
        chunks = [
            b"PUT /_mock/config HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            *[b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (limit // len(chunk) + 2),
            b"0\r\n\r\n",
        ]
        assert send_raw(port, chunks).status == 413
        # a large body under the limit is decoded off the event loop: health still answers
        size = bound(limit // 16, limit - 100)  # the whole budget costs seconds to apply
        songs = [str(1_000_000_000 + n) for n in range(size // 14 + 1)]
        body = json.dumps({"songs": songs}).encode()[:size]
        body = body[: body.rfind(b",")] + b"]}"
        results: list[int | None] = []

        def put() -> None:
            results.append(
                send_raw(
                    port,
                    request_bytes("PUT", "/_mock/library/big", {"Content-Type": "j"}, body),
                    timeout=120,
                ).status
            )

        worker = threading.Thread(target=put)
        worker.start()
        slowest = 0.0
        while worker.is_alive():
            started = time.monotonic()
            assert_healthy(port)
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.01)
        worker.join()
        assert results == [200]
        assert slowest < 5, slowest
        assert len(app.mock.get_library("big")["songs"]) > size // 15
        assert_live_readable(port, watch)
    small = create_app(admin_max_body_bytes=4096)
    reply = admin(small, "PUT", "/library/u", {"songs": ["1" * 10] * 500})
    assert "admin_max_body_bytes" in assert_apple_error(reply, 413, "41300")["detail"]
    replayed("big admin bodies", 4)


def test_user_tokens_never_reach_the_access_log_or_the_refusal_log(
    token: str, watch: Watch
) -> None:
    app = create_app()
    app.access_log = True
    secret_user = user("logged")
    with LiveServer(app) as server:
        port = server.port
        for target in (f"{LIBRARY}?ids[songs]=1", f"{LIBRARY}?ids[artists]=1"):
            send_raw(port, request_bytes("POST", target, apple(token, secret_user)))
        send_raw(port, request_bytes("POST", f"{LIBRARY}?ids[songs]=1", {"Authorization": "x"}))
        cookie = {"Cookie": f"session={secret_user}", "Media-User-Token": secret_user}
        send_raw(port, request_bytes("POST", f"{LIBRARY}?ids[songs]=1", cookie))
        for target in (
            f"/_mock/library/{secret_user}",
            f"/_mock/journal?user_token={secret_user}",
            f"/_mock/journal/count?user_token={secret_user}&limit=5",
        ):
            assert get(port, target).status == 200
        send_raw(port, request_bytes("DELETE", f"/_mock/journal?user_token={secret_user}"))
        body = json.dumps({"namespace": secret_user}).encode()
        assert send_raw(port, request_bytes("POST", "/_mock/reset", {}, body)).status == 204
        assert_live_readable(port, watch)
    assert watch.seen >= 10  # the access log and the refusal reasons were written, and checked
    replayed("tokens in the access log", 9)


def test_cli_errors_never_print_key_content(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP384R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = pem.splitlines()[1]
    files = {
        "jwk.json": json.dumps({"kty": "EC", "crv": "P-384", "d": "PRIVATE-PART-d", "x": "AA"}),
        "p384.pem": pem,
        "broken.pem": "-----BEGIN PRIVATE KEY-----\nPRIVATE-PART-pem\n-----END PRIVATE KEY-----\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    runs = [["serve", "--port", "0", "--developer-key", name] for name in files]
    runs.append(["token", "--key", "p384.pem"])
    processes = [  # in parallel: each is a Python start-up
        subprocess.Popen(
            [sys.executable, "-m", "mockserver", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for args in runs
    ]
    for process in processes:
        out, err = process.communicate(timeout=60)
        output = out + err
        assert process.returncode == 2, output
        assert "PRIVATE-PART" not in output
        assert body not in output
        assert "Traceback" not in output
        assert err.count("\n") == 1, output
    replayed("CLI prints key content", len(runs))


#: Runs the CLI with every bind on loopback whatever --host says: the warning for a
#: non-loopback host is checked without listening beyond this machine.
LOOPBACK_ONLY = """
import sys
import mockserver.server as server
real = server.bind_socket
server.bind_socket = lambda host="127.0.0.1", port=0: real("127.0.0.1", port)
from mockserver.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_non_loopback_bind_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watch: Watch
) -> None:
    with Cli(tmp_path, "--host", "0.0.0.0", code=LOOPBACK_ONLY) as cli:
        assert_healthy(cli.port)
        code, _ = cli.stop()
    assert code == 0
    assert "WARNING: serving on 0.0.0.0: reachable from other machines" in cli.stderr()
    assert "Traceback" not in cli.stderr()
    import mockserver.server as server

    real = server.bind_socket
    monkeypatch.setattr(server, "bind_socket", lambda host, port: real("127.0.0.1", port))
    with LiveServer(create_app(), host="0.0.0.0") as live:
        assert_healthy(live.port)
    warnings = [r.getMessage() for r in watch.records if r.name == "apple_music_mock"]
    assert any("reachable from other machines" in w for w in warnings), warnings
    replayed("non-loopback bind warning", 2)


ADDRESSES = [
    # (client, server, forwarded header, allowed)
    (("::ffff:127.0.0.1", 5000), ("::ffff:127.0.0.1", 8080), None, True),
    (("::1", 5000), ("::1", 8080), None, True),
    (("127.0.0.2", 5000), ("127.0.0.1", 8080), None, True),
    (None, None, None, True),
    (("10.1.2.3", 5000), ("127.0.0.1", 8080), None, False),
    (("::ffff:10.1.2.3", 5000), ("::ffff:127.0.0.1", 8080), None, False),
    (("127.0.0.1", 5000), ("192.168.1.5", 8080), None, False),
    (("127.0.0.1", 5000), ("::", 8080), None, False),
    (("127.0.0.1", 5000), ("127.0.0.1", 8080), (b"x-forwarded-for", b"127.0.0.1"), False),
    (("127.0.0.1", 5000), ("127.0.0.1", 8080), (b"forwarded", b"for=127.0.0.1"), False),
    (("127.0.0.1", 5000), ("127.0.0.1", 8080), (b"x-real-ip", b"127.0.0.1"), False),
]


@pytest.mark.parametrize(("client", "server", "forwarded", "allowed"), ADDRESSES)
def test_the_admin_guard_by_address_and_forwarding(
    client: tuple[str, int] | None,
    server: tuple[str, int] | None,
    forwarded: tuple[bytes, bytes] | None,
    allowed: bool,
) -> None:
    app = create_app()
    headers = [forwarded] if forwarded else []
    for path in ("/_mock/health", "/_mock/config", "/_mock/journal", "/_mock/config/"):
        reply = call(app, "GET", path, headers, client=client, server=server)
        if path.endswith("/"):
            assert reply.status in (403, 404), reply
            assert "location" not in reply.headers, reply
        elif allowed:
            assert reply.status == 200, (path, reply)
        else:
            assert_apple_error(reply, 403, "40300")
    replayed("admin guard (dual stack, forwarding)", 4)


def test_an_admin_token_is_needed_from_anywhere_when_set(watch: Watch) -> None:
    secret = watch.secret("admin-" + "Q" * 24)
    app = create_app(admin_token=secret)
    for client in (("127.0.0.1", 5), ("10.9.9.9", 5)):
        for sent, status in ((None, 403), ("wrong", 403), (secret, 200)):
            headers = [(b"x-mock-admin-token", sent.encode())] if sent else []
            reply = call(app, "GET", "/_mock/config", headers, client=client)
            assert reply.status == status
            watch.check_text(reply.body, "the config")
    replayed("admin guard (dual stack, forwarding)", 6)


def test_admin_over_ipv6_loopback() -> None:
    try:
        served = Served(create_app(), host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with served, socket.create_connection(("::1", served.port), timeout=10) as sock:
        sock.sendall(request_bytes("GET", "/_mock/config"))
        assert read_answer(sock).status == 200
    replayed("admin guard (dual stack, forwarding)")


def test_openapi_documents_what_the_fake_answers() -> None:
    reply = call(create_app(), "GET", "/openapi.json")
    assert reply.status == 200
    document = json.loads(reply.body)
    paths = document["paths"]
    add = paths["/v1/me/library"]["post"]["responses"]
    assert {"202", "400", "401", "403", "414", "429"} <= set(add)
    for status in ("404", "405"):
        assert status in add or "4XX" in add or "default" in add
    assert "get" in paths["/v1/me/library/{type}"]
    ids = next(p for p in paths["/v1/me/library"]["post"]["parameters"] if p["name"] == "ids")
    pattern = re.compile(ids["schema"]["additionalProperties"]["pattern"])
    for loose in ("", ",", "1,", ",1", "1,,2"):
        assert not pattern.search(loose), loose
    replayed("openapi.json")


@pytest.mark.parametrize("value", ["123%0A", "123%0D", "%0A123", "123%0D%0A", "12%003", "123%20"])
def test_ids_with_line_breaks_are_not_added(value: str, token: str, watch: Watch) -> None:
    app = create_app()
    music_user = user()
    reply = call(app, "POST", f"{LIBRARY}?ids[songs]={value}", apple(token, music_user))
    assert reply.status == 202
    assert app.mock.get_library(music_user)["songs"] == []
    (entry,) = app.mock.journal_entries()
    assert entry.added == {}
    assert [i["reason"] for i in entry.ignored] == ["wrong-shape"]
    strict = create_app(wrong_shape_ids="reject")
    reply = call(strict, "POST", f"{LIBRARY}?ids[songs]={value}", apple(token, music_user))
    assert assert_apple_error(reply, 400, "40005")["source"] == {"parameter": "ids[songs]"}
    assert_readable(app, watch)
    replayed("ids[songs]=123%0A", 2)


def test_thousands_of_empty_elements_are_a_cheap_clean_400(token: str) -> None:
    app = create_app()
    headers = apple(token)

    def median(target: str) -> float:
        times = []
        for _ in range(9):
            started = time.perf_counter()
            reply = call(app, "POST", target, headers)
            times.append(time.perf_counter() - started)
        assert reply.status in (202, 400)
        return statistics.median(times)

    normal = median(f"{LIBRARY}?ids[songs]=1564531202")
    hostile = [
        f"{LIBRARY}?ids[songs]=" + "," * 4000,
        f"{LIBRARY}?ids[songs]=1" + ",," * 2000,
        f"{LIBRARY}?" + "ids[songs]=&" * 600,
        f"{LIBRARY}?ids[songs]=1&" + "x=&" * 2000,
    ]
    for target in hostile:
        assert_apple_error(call(app, "POST", target, headers), 400)
        cost = median(target)
        assert cost < 20 * normal + 0.005, (target[:40], cost, normal)
    replayed("4000 empty list elements", 40)


def test_limits_answer_naming_the_setting(token: str, watch: Watch) -> None:
    app = create_app(max_users=2, max_library_items=3, max_rules=2)
    first, second, third = user("1"), user("2"), user("3")
    for music_user in (first, second):
        assert call(app, "POST", f"{LIBRARY}?ids[songs]=1", apple(token, music_user)).status == 202
    reply = call(app, "POST", f"{LIBRARY}?ids[songs]=1", apple(token, third))
    assert "max_users" in assert_apple_error(reply, 507, "50700")["detail"]
    reply = call(app, "POST", f"{LIBRARY}?ids[songs]=2,3,4", apple(token, first))
    assert "max_library_items" in assert_apple_error(reply, 507, "50700")["detail"]
    assert [s["catalog_id"] for s in app.mock.get_library(first)["songs"]] == ["1"]
    reply = admin(app, "PUT", "/library/someone", {"songs": ["1"]})
    assert "max_users" in assert_apple_error(reply, 400)["detail"]
    reply = admin(app, "PUT", f"/library/{first}", {"songs": ["1", "2", "3", "4"]})
    assert "max_library_items" in assert_apple_error(reply, 400)["detail"]
    for n in range(2):
        app.mock.add_rule(match={"user_token": f"other-{n}"}, action={"status": 503})
    reply = admin(app, "POST", "/rules", {"action": {"status": 503}})
    assert "max_rules" in assert_apple_error(reply, 400)["detail"]
    assert len(app.mock.list_rules()) == 2
    assert_readable(app, watch)
    replayed("library, user and rule limits", 7)


def _pem(key: Any) -> str:
    return str(
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.mark.parametrize(
    "kind", ["p384", "p521", "secp256k1", "rsa", "ed25519", "p384-jwk", "garbage"]
)
def test_only_p256_developer_keys_are_accepted(kind: str) -> None:
    key: Any
    if kind.startswith("p384"):
        key = ec.generate_private_key(ec.SECP384R1())
    elif kind == "p521":
        key = ec.generate_private_key(ec.SECP521R1())
    elif kind == "secp256k1":
        key = ec.generate_private_key(ec.SECP256K1())
    elif kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ed25519.Ed25519PrivateKey.generate()
    spec: Any
    if kind == "garbage":
        spec = "-----BEGIN PUBLIC KEY-----\nQUFBQUFBQUFB\n-----END PUBLIC KEY-----\n"
    elif kind.endswith("jwk"):
        from jwt.algorithms import ECAlgorithm

        spec = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    else:
        spec = _pem(key)
    with pytest.raises(ConfigError) as caught:
        create_app(developer_keys=[spec])
    message = str(caught.value)
    assert "generator object" not in message
    if isinstance(spec, str):  # a JWK of another curve fails the schema's JWK shape first
        assert "P-256" in message
    lines = spec.splitlines()[1:-1] if isinstance(spec, str) else []
    assert not any(line in message for line in lines if len(line) > 8), message
    app = create_app()
    reply = admin(app, "PATCH", "/config", {"developer_keys": [spec]})
    detail = assert_apple_error(reply, 400, "40000")["detail"]
    assert "generator object" not in detail
    assert not any(line in detail for line in lines if len(line) > 8), detail
    assert app.mock.settings.developer_keys == ()
    replayed("P-384 and RSA developer keys", 2)


SECRET_HEADERS = [
    "authorization",
    "music-user-token",
    "media-user-token",
    "cookie",
    "set-cookie",
    "proxy-authorization",
    "x-api-key",
    "x-mock-admin-token",
    "x-auth-token",
]


def test_redaction_hides_whole_tokens(watch: Watch) -> None:
    app = create_app()
    short = "Qz7"  # even a short token shows nothing of itself
    values = {name: f"{user(name)}" for name in SECRET_HEADERS}
    values["authorization"] = f"Bearer {values['authorization']}"
    values["proxy-authorization"] = f"Basic {values['proxy-authorization']}"
    call(app, "POST", f"{LIBRARY}?ids[songs]=1", values)
    call(app, "POST", f"{LIBRARY}?ids[songs]=1", {"music-user-token": short, "cookie": short})
    first, second = app.mock.journal_entries()
    for name in SECRET_HEADERS:
        shown = first.headers[name]
        assert re.fullmatch(r"([A-Za-z]+ )?\[redacted: \d+ characters\]", shown), shown
        secret = values[name].split()[-1]
        assert not any(secret[i : i + 4] in shown for i in range(len(secret) - 3)), shown
    assert second.headers["music-user-token"] == "[redacted: 3 characters]"
    assert short not in json.dumps(second.to_json())
    # fingerprints are salted: not the plain hash of the token
    assert first.user == fingerprint(values["music-user-token"])
    assert first.user != hashlib.sha256(values["music-user-token"].encode()).hexdigest()[:16]
    assert_readable(app, watch)
    replayed("redaction", 2)


@pytest.fixture(scope="module")
def sigterm_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, int, float, list[Raw]]:
    """SIGTERM to the CLI while three requests wait out a 60 s scripted delay, with
    shutdown_timeout_seconds=1: (the server, its exit code, seconds to exit, the answers)."""
    tmp_path = tmp_path_factory.mktemp("sigterm")
    config = tmp_path / "slow.json"
    config.write_text(
        json.dumps({"shutdown_timeout_seconds": 1, "rules": [{"action": {"delay": 60}}]})
    )
    with Cli(tmp_path, "--config", str(config)) as cli:
        waiting = [socket.create_connection(("127.0.0.1", cli.port), timeout=30) for _ in range(3)]
        for sock in waiting:
            sock.sendall(request_bytes("POST", f"{LIBRARY}?ids[songs]=1"))
        time.sleep(0.5)
        code, seconds = cli.stop()
        answers = [read_answer(sock) for sock in waiting]
        for sock in waiting:
            sock.close()
    replayed("SIGTERM waits for delays", 3)
    return cli, code, seconds, answers


def test_sigterm_does_not_wait_for_scripted_delays(
    sigterm_run: tuple[Cli, int, float, list[Raw]],
) -> None:
    _, code, seconds, _ = sigterm_run
    assert code == 0
    assert seconds < 15, seconds


def test_sigterm_during_scripted_delays_is_quiet(
    sigterm_run: tuple[Cli, int, float, list[Raw]], watch: Watch
) -> None:
    cli, _, _, answers = sigterm_run
    assert all(answer.status is None or answer.status < 500 for answer in answers), answers
    cli.assert_clean_output(watch)


def test_no_redirect_under_the_admin_prefix() -> None:
    app = create_app()
    for path in ("/_mock/config/", "/_mock/rules/", "/_mock/health/", "/_mock/journal/"):
        for client in (("127.0.0.1", 5), ("10.0.0.9", 5)):
            reply = call(app, "GET", path, client=client)
            assert reply.status in (403, 404), (path, reply)
            assert "location" not in reply.headers, (path, reply)
    replayed("GET /_mock/config/ 307", 8)


def test_a_crit_header_is_refused(signing_key: ec.EllipticCurvePrivateKey, watch: Watch) -> None:
    now = int(time.time())
    claims = {"iss": "MOCKTEAM01", "iat": now, "exp": now + 600}
    tokens = [
        forge_token({"alg": "ES256", "kid": "MOCKKEY001", "crit": ["exp"]}, claims),
        forge_token({"alg": "ES256", "kid": "MOCKKEY001", "crit": []}, claims),
        mint_developer_token(signing_key, extra_header={"crit": ["urn:x"], "urn:x": 1}),
    ]
    apps = [create_app(), create_app(developer_keys=[public_key_pem(signing_key)])]
    for crafted in tokens:
        watch.secret(crafted)
        for app in apps:
            reply = call(app, "POST", f"{LIBRARY}?ids[songs]=1", apple(crafted))
            assert reply.status == 401
            reason = app.mock.journal_entries()[-1].reason or ""
            assert reason.startswith("crit"), reason
    replayed("crit header", len(tokens) * len(apps))
