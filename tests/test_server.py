"""uvicorn in a background thread (mockserver/server.py)."""

from __future__ import annotations

import http.client
import socket
import time
from pathlib import Path

import pytest

from mockserver import LiveServer, create_app
from mockserver.server import bind_socket, uvicorn_config, write_port_file

pytestmark = pytest.mark.live


def test_live_server_binds_loopback_on_an_os_chosen_port() -> None:
    with LiveServer(create_app()) as server:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("GET", "/_mock/health")
        assert connection.getresponse().status == 200
        connection.close()
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", server.port), timeout=1),
    ):
        pass


def test_two_servers_get_different_ports() -> None:
    with LiveServer(create_app()) as first, LiveServer(create_app()) as second:
        assert first.port != second.port


def test_start_twice_is_an_error() -> None:
    with LiveServer(create_app()) as server, pytest.raises(RuntimeError, match="already started"):
        server.start()


def test_bind_socket_reports_a_busy_port() -> None:
    sock = bind_socket()
    try:
        with pytest.raises(OSError, match="in use"):
            bind_socket("127.0.0.1", sock.getsockname()[1])
    finally:
        sock.close()


def test_port_file_is_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "port"
    write_port_file(path, 8123)
    assert path.read_text() == "8123\n"
    assert list(tmp_path.iterdir()) == [path]


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` (EOF or reset) within ``seconds``."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _health(sock: socket.socket) -> bytes:
    """GET /_mock/health on ``sock``: the whole answer."""
    sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while not answer.endswith(b'"ok"}'):
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
    return answer


def test_a_client_slow_to_send_headers_is_disconnected() -> None:
    with LiveServer(create_app(header_timeout_seconds=0.3)) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as slow:
            slow.sendall(b"POST /v1/me/library?ids[songs]=1 HTTP/1.1\r\nHost: x\r\n")
            assert _closed_within(slow, 5)
        # an idle keep-alive connection after an answer is closed the same way
        with socket.create_connection(("127.0.0.1", server.port)) as idle:
            assert _health(idle).startswith(b"HTTP/1.1 200")
            assert _closed_within(idle, 5)


def test_connections_past_the_limit_are_closed_and_others_still_served() -> None:
    with LiveServer(create_app(max_connections=3, header_timeout_seconds=30)) as server:
        held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
        try:
            with socket.create_connection(("127.0.0.1", server.port)) as extra:
                assert _closed_within(extra, 5)
        finally:
            for sock in held:
                sock.close()
        time.sleep(0.2)  # the server sees the held ones go
        with socket.create_connection(("127.0.0.1", server.port)) as fresh:
            assert _health(fresh).startswith(b"HTTP/1.1 200")


def test_shutdown_does_not_wait_for_long_scripted_delays() -> None:
    app = create_app(shutdown_timeout_seconds=0.5)
    app.mock.add_rule(action={"delay": 60})
    server = LiveServer(app).start()
    client = socket.create_connection(("127.0.0.1", server.port))
    client.sendall(b"POST /v1/me/library?ids[songs]=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    started = time.monotonic()
    server.stop(timeout=30)
    assert time.monotonic() - started < 10
    client.close()


@pytest.mark.parametrize(
    ("http", "loop", "parser"),
    [
        ("auto", "auto", "HttpToolsProtocol"),
        ("httptools", "uvloop", "HttpToolsProtocol"),
        ("h11", "asyncio", "H11Protocol"),
    ],
)
def test_the_default_stack_is_httptools_and_h11_asyncio_stays_selectable(
    http: str, loop: str, parser: str
) -> None:
    config = uvicorn_config(create_app(), http=http, loop=loop)
    assert isinstance(config.http, type)
    assert config.http.__mro__[1].__name__ == parser
    assert config.loop == loop


def test_httptools_and_uvloop_are_installed_with_the_fake() -> None:
    """Dependencies since issue 16 (uvloop where it has wheels): ``auto`` picks them."""
    from importlib.metadata import version

    assert version("httptools")
    assert version("uvloop")
