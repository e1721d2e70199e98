"""HTTPS on demand (mockserver/tls.py and ``serve --tls``): a client that hard-codes
https://api.music.apple.com reaches the fake unmodified, trusting the local CA and with the
name mapped to 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import ssl
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from test_cli import Served, run

from mockserver import mint_developer_token
from mockserver.tls import TLS_NAMES, ensure_tls_files

TARGET = "/v1/me/library?ids%5Bsongs%5D=1564531202"


def https_post(port: int, ca: Path, server_name: str = "api.music.apple.com") -> bytes:
    """POST the add over TLS to 127.0.0.1, verifying the certificate for ``server_name`` (what
    a client sees when the name is mapped to 127.0.0.1)."""
    context = ssl.create_default_context(cafile=str(ca))
    request = (
        f"POST {TARGET} HTTP/1.1\r\nHost: {server_name}\r\n"
        f"Authorization: Bearer {mint_developer_token()}\r\n"
        "Music-User-Token: tls-user\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as tls,
    ):
        tls.sendall(request.encode())
        chunks = []
        while chunk := tls.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_files_are_made_once_cover_the_names_and_keep_the_key_private(tmp_path: Path) -> None:
    files, made = ensure_tls_files(tmp_path / "tls")
    assert made
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(TLS_NAMES) <= set(names.get_values_for_type(x509.DNSName))
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    again, made_again = ensure_tls_files(tmp_path / "tls")
    assert (again, made_again) == (files, False)
    files.cert.write_text("broken")
    assert ensure_tls_files(tmp_path / "tls")[1] is True  # unusable files are made anew


@pytest.mark.live
def test_serve_tls_end_to_end(tmp_path: Path) -> None:
    server = Served(tmp_path, "--tls", "--tls-dir", str(tmp_path / "tls"))
    try:
        ca = tmp_path / "tls" / "ca.pem"
        answer = https_post(server.port, ca)
        assert answer.startswith(b"HTTP/1.1 202 ")
        assert https_post(server.port, ca, "amp-api.music.apple.com").startswith(b"HTTP/1.1 202 ")
        system = ssl.create_default_context()  # the system CAs do not trust it
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            system.wrap_socket(raw, server_hostname="api.music.apple.com")
        curl = shutil.which("curl")
        if curl is not None:  # an unmodified client, as the README shows
            result = subprocess.run(
                [
                    *(curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"),
                    *("--cacert", str(ca)),
                    *("--resolve", f"api.music.apple.com:{server.port}:127.0.0.1"),
                    *("-H", f"Authorization: Bearer {mint_developer_token()}"),
                    *("-H", "Music-User-Token: curl-user"),
                    f"https://api.music.apple.com:{server.port}{TARGET}",
                ],
                capture_output=True,
                text=True,
                timeout=30,
            )
            assert result.stdout == "202", result.stderr
    finally:
        code, out, err = server.stop()
    assert code == 0
    assert f"serving on https://127.0.0.1:{server.port}" in out
    assert f"clients trust {ca.resolve()}" in out
    assert "made a local CA" in err


@pytest.mark.live
def test_own_certificate_and_key(tmp_path: Path) -> None:
    files, _ = ensure_tls_files(tmp_path / "mine")
    server = Served(tmp_path, "--tls-cert", str(files.cert), "--tls-key", str(files.key))
    try:
        assert https_post(server.port, files.ca).startswith(b"HTTP/1.1 202 ")
    finally:
        assert server.stop()[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        (
            ["--tls-cert", "missing.pem", "--tls-key", "missing.pem"],
            "--tls-cert missing.pem: no such file",
        ),
    ],
)
def test_tls_option_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("serve", "--port", "0", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().endswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
