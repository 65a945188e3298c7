"""A Kubernetes webhook's TLS, made and renewed by weft: a CA of its own and a serving
certificate for the webhook Service's names, kept in a Secret. The certificate is renewed
:data:`RENEW_BEFORE_DAYS` days before it expires (or when it no longer chains to its CA or names
the Service); during a renewal the bundle the API server trusts holds the old CA too, while the
certificate the running pods still serve is valid. The CA's key is never stored.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

__all__ = ["WebhookTLS", "webhook_tls"]

#: The serving certificate is renewed when it has fewer days left than this.
RENEW_BEFORE_DAYS = 30
CERT_DAYS = 365
CA_DAYS = 3650


@dataclass(frozen=True)
class WebhookTLS:
    """PEM texts: the CA (``ca.crt``), the bundle the API server trusts, the serving pair."""

    ca: str
    bundle: str
    cert: str
    key: str

    def secret_data(self) -> dict[str, str]:
        return {
            "ca.crt": _b64(self.ca),
            "tls.crt": _b64(self.cert),
            "tls.key": _b64(self.key),
        }


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def webhook_tls(
    secret: dict[str, Any] | None,
    service_names: list[str],
    ca_name: str,
    now: dt.datetime | None = None,
) -> WebhookTLS:
    """The webhook's CA and certificate: those of the existing Secret while the certificate
    chains to its CA, names the Service (``service_names``) and is good for more than
    :data:`RENEW_BEFORE_DAYS` days; else a new CA and certificate, the bundle trusting the old
    CA too while the certificate the running pods serve is still valid."""
    now = now or dt.datetime.now(dt.UTC)
    data = (secret or {}).get("data") or {}

    def pem(key: str) -> str | None:
        value = data.get(key)
        return base64.b64decode(value).decode() if value else None

    ca_pem, cert_pem, key_pem = (pem(k) for k in ("ca.crt", "tls.crt", "tls.key"))
    if ca_pem and cert_pem and key_pem and _cert_good(cert_pem, ca_pem, service_names, now):
        return WebhookTLS(ca=ca_pem, bundle=ca_pem, cert=cert_pem, key=key_pem)
    new_ca, new_ca_key = _new_ca(ca_name, now)
    new_cert, new_key = _new_cert(new_ca, new_ca_key, service_names, now)
    old = [ca_pem] if ca_pem and cert_pem and _still_valid(cert_pem, now) else []
    return WebhookTLS(ca=new_ca, bundle="".join([new_ca, *old]), cert=new_cert, key=new_key)


def _still_valid(cert_pem: str, now: dt.datetime) -> bool:
    from cryptography import x509

    return x509.load_pem_x509_certificate(cert_pem.encode()).not_valid_after_utc > now


def _cert_good(cert_pem: str, ca_pem: str, service_names: list[str], now: dt.datetime) -> bool:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    if cert.issuer != ca.subject:
        return False
    if cert.not_valid_after_utc - now < dt.timedelta(days=RENEW_BEFORE_DAYS):
        return False
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return set(names.get_values_for_type(x509.DNSName)) >= set(service_names)


def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _new_ca(ca_name: str, now: dt.datetime) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
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
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), _key_pem(key)


def _new_cert(
    ca_pem: str, ca_key_pem: str, service_names: list[str], now: dt.datetime
) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    ca_key: Any = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    key = _key()
    names = service_names
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[1])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), _key_pem(key)
