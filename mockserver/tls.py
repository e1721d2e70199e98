"""HTTPS on demand: a local certificate authority and a server certificate for the names a
client hard-codes (``api.music.apple.com``, the web player's host, ``localhost``, 127.0.0.1).

``serve --tls`` makes them once in a directory (``./apple-music-mock-tls`` by default) and
reuses them; a client trusts ``ca.pem`` (``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``,
``NODE_EXTRA_CA_CERTS``, ``curl --cacert``) and maps the host name to 127.0.0.1 (README,
"HTTPS").
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["TLS_NAMES", "TlsFiles", "ensure_tls_files"]

#: The names the server certificate covers.
TLS_NAMES = ("localhost", "api.music.apple.com", "amp-api.music.apple.com")
TLS_ADDRESSES = ("127.0.0.1", "::1")

_DAY = datetime.timedelta(days=1)
_LIFETIME = 825 * _DAY  # the longest validity clients accept for a server certificate


@dataclass(frozen=True)
class TlsFiles:
    """The files of a local TLS setup."""

    ca: Path
    cert: Path
    key: Path


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as sink:
        sink.write(data)


def _usable(files: TlsFiles, now: datetime.datetime) -> bool:
    """Whether existing files can be reused: present, parseable, valid for a while yet, and
    covering every name."""
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        x509.load_pem_x509_certificate(files.ca.read_bytes())
        serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    except (OSError, ValueError):
        return False
    if cert.not_valid_after_utc - now < 7 * _DAY:
        return False
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return set(TLS_NAMES) <= set(names.get_values_for_type(x509.DNSName))


def ensure_tls_files(directory: Path) -> tuple[TlsFiles, bool]:
    """The CA and server certificate in ``directory``, made there when missing, expiring or
    incomplete; returns them and whether they were made now."""
    files = TlsFiles(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    now = datetime.datetime.now(datetime.timezone.utc)
    if _usable(files, now):
        return files, False
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, server_key = _key(), _key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "apple-music-mock local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + _LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    alternative: list[x509.GeneralName] = [x509.DNSName(name) for name in TLS_NAMES]
    alternative += [x509.IPAddress(ipaddress.ip_address(a)) for a in TLS_ADDRESSES]
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, TLS_NAMES[1])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + _LIFETIME)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    _write_key(files.key, server_key)
    return files, True
