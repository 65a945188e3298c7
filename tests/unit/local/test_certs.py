"""The local Kubernetes' certificates: a CA, a serving certificate for 127.0.0.1 signed by it,
and the service-account key kept private."""

from __future__ import annotations

from pathlib import Path

from weft.local.kube.certs import generate


def test_generated_certificates_chain_to_the_ca(tmp_path: Path) -> None:
    from cryptography import x509

    paths = generate(tmp_path)
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    served = x509.load_pem_x509_certificate(paths.serving_cert.read_bytes())
    assert served.issuer == ca.subject
    sans = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    assert oct(paths.sa_key.stat().st_mode & 0o777) == "0o600"
