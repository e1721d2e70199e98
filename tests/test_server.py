"""uvicorn in a background thread (mockserver/server.py)."""

from __future__ import annotations

import http.client
import socket
from pathlib import Path

import pytest

from mockserver import LiveServer, create_app
from mockserver.server import bind_socket, write_port_file

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
