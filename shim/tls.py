"""TLS for the gRPC endpoint: on by default off loopback, client certificates when configured.

``[grpc] tls``: ``auto`` (the default) is on unless the host is a loopback address, ``on``
always, ``off`` never (loopback only is sensible). ``cert_file``/``key_file`` name the server's
PEM certificate chain and key; when TLS is on and they are not set, a self-signed certificate
for the configured host (and localhost, 127.0.0.1, ::1) is made once in
``<data>/grpc-tls/`` and reused, so a first start works; clients pin that certificate.
``client_ca_file`` turns on mutual TLS: a client must present a certificate that CA signed.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SELF_SIGNED_DIR = "grpc-tls"
SELF_SIGNED_VALIDITY_DAYS = 825


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_wanted(section: dict[str, Any]) -> bool:
    mode = str(section["tls"]).lower()
    if mode not in ("auto", "on", "off"):
        raise ValueError(f"grpc.tls must be auto, on or off, not {mode!r}")
    return mode == "on" or (mode == "auto" and not is_loopback(str(section["host"])))


def _san(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    ips = {"127.0.0.1", "::1"}
    try:
        ipaddress.ip_address(host)
        ips.add(host)
    except ValueError:
        if host and host != "localhost":
            names.append(x509.DNSName(host))
    return names + [x509.IPAddress(ipaddress.ip_address(a)) for a in sorted(ips)]


def self_signed(folder: Path, host: str) -> tuple[Path, Path]:
    """(cert, key) of the gateway's own certificate, made on first use."""
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "micropay gateway")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SELF_SIGNED_VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName(_san(host)), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_credentials(section: dict[str, Any], data_dir: Path) -> grpc.ServerCredentials | None:
    """The credentials of the endpoint, or None for plaintext."""
    if not tls_wanted(section):
        return None
    cert_file, key_file = str(section["cert_file"]), str(section["key_file"])
    if bool(cert_file) != bool(key_file):
        raise ValueError("grpc.cert_file and grpc.key_file go together")
    if cert_file:
        cert, key = Path(cert_file), Path(key_file)
    else:
        cert, key = self_signed(data_dir / SELF_SIGNED_DIR, str(section["host"]))
    client_ca = str(section["client_ca_file"])
    roots = Path(client_ca).read_bytes() if client_ca else None
    return grpc.ssl_server_credentials(
        [(key.read_bytes(), cert.read_bytes())],
        root_certificates=roots,
        require_client_auth=roots is not None,
    )
