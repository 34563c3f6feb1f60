"""The demo CA and server certificate: cached, valid for loopback names, renewed when broken."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import stat
from pathlib import Path

from cryptography import x509

from agol_jupyter.demo import DemoPortal
from agol_jupyter.demo.certs import CA_KEY_FILE, ensure_certificates


def test_certificates_are_cached(tmp_path: Path) -> None:
    first = ensure_certificates(tmp_path)
    ca, server = first.ca_cert.read_bytes(), first.server_pem.read_bytes()
    again = ensure_certificates(tmp_path)
    assert again == first
    assert (again.ca_cert.read_bytes(), again.server_pem.read_bytes()) == (ca, server)
    for private in (first.server_pem, tmp_path / CA_KEY_FILE):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_server_certificate_names_and_chain(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path)
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    cert = x509.load_pem_x509_certificate(paths.server_pem.read_bytes())
    cert.verify_directly_issued_by(ca)
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(sans.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }


def test_a_broken_server_certificate_is_renewed_with_the_same_ca(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path)
    ca = paths.ca_cert.read_bytes()
    paths.server_pem.write_bytes(b"garbage")
    ensure_certificates(tmp_path)
    assert paths.ca_cert.read_bytes() == ca
    x509.load_pem_x509_certificate(paths.server_pem.read_bytes())


def test_a_broken_ca_is_replaced(tmp_path: Path) -> None:
    paths = ensure_certificates(tmp_path)
    old_ca = paths.ca_cert.read_bytes()
    (tmp_path / CA_KEY_FILE).write_bytes(b"garbage")
    ensure_certificates(tmp_path)
    new_ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    assert paths.ca_cert.read_bytes() != old_ca
    server = x509.load_pem_x509_certificate(paths.server_pem.read_bytes())
    server.verify_directly_issued_by(new_ca)


def test_both_origins_verify_with_strict_tls(running_demo: DemoPortal) -> None:
    context = ssl.create_default_context(cafile=str(running_demo.ca_path))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    for host, port in (
        ("127.0.0.1", running_demo.portal_port),
        ("localhost", running_demo.idp_port),
        ("localhost", running_demo.portal_port),
    ):
        with socket.create_connection(("127.0.0.1", port)) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
