"""The certificates between the local API server and the simulated kubelets.

As on a real cluster, the API server reaches a node's kubelet over HTTPS for ``pods/log``
(``kubectl logs``): it checks the kubelet's serving certificate against
``--kubelet-certificate-authority`` and presents its own client certificate
(``--kubelet-client-certificate``), which the kubelet checks against its client CA
("Kubelet authentication/authorization", Kubernetes documentation). Both are signed here by the
local control plane's CA:

- ``kubelet.crt``: the simulated kubelets' serving certificate, for ``localhost`` and
  ``127.0.0.1`` — the address every simulated node reports as its ``InternalDNS`` (its kubelet
  listens on loopback; :mod:`weft.local.kube.kubelet_logs`);
- ``apiserver-kubelet-client.crt``: the API server's client certificate (CN
  ``kube-apiserver-kubelet-client``, as kubeadm names it).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The name every simulated node's kubelet is reached by (its ``InternalDNS`` address).
KUBELET_HOST = "localhost"
CLIENT_NAME = "kube-apiserver-kubelet-client"


@dataclass(frozen=True)
class KubeletTls:
    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    client_cert: Path
    client_key: Path

    def complete(self) -> bool:
        return all(
            p.exists()
            for p in (
                self.ca_cert,
                self.serving_cert,
                self.serving_key,
                self.client_cert,
                self.client_key,
            )
        )


def paths(cert_dir: Path) -> KubeletTls:
    return KubeletTls(
        ca_cert=cert_dir / "ca.crt",
        serving_cert=cert_dir / "kubelet.crt",
        serving_key=cert_dir / "kubelet.key",
        client_cert=cert_dir / "apiserver-kubelet-client.crt",
        client_key=cert_dir / "apiserver-kubelet-client.key",
    )


def _issue(
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    common_name: str,
    usage: x509.ObjectIdentifier,
    names: list[x509.GeneralName],
    valid_days: int,
) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def generate(
    cert_dir: Path, ca_cert_path: Path, ca_key_path: Path, valid_days: int = 365
) -> KubeletTls:
    """Write the kubelets' serving and the API server's client certificates into ``cert_dir``,
    signed by the CA at ``ca_cert_path``/``ca_key_path``."""
    ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    found = paths(cert_dir)
    serving = _issue(
        ca_cert,
        ca_key,
        "weft-local-kubelet",
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.DNSName(KUBELET_HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        valid_days,
    )
    client = _issue(ca_cert, ca_key, CLIENT_NAME, ExtendedKeyUsageOID.CLIENT_AUTH, [], valid_days)
    for (cert_path, key_path), (cert, key) in (
        ((found.serving_cert, found.serving_key), serving),
        ((found.client_cert, found.client_key), client),
    ):
        cert_path.write_bytes(cert)
        key_path.write_bytes(key)
        os.chmod(key_path, 0o600)
    return found
