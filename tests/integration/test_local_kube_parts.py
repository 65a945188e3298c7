"""The parts of the local Kubernetes that need no running cluster: the build step's decisions
and the certificates (the simulators' pure parts are unit tests: tests/unit/local)."""

from __future__ import annotations

from pathlib import Path

import pytest

from weft.local.kube import binaries, setup
from weft.local.kube.certs import generate


def test_deb_src_entries_mirror_the_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources.list.d"
    sources.mkdir()
    (sources / "debian.sources").write_text(
        "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://other.example/debian\nSuites: trixie\nComponents: main\n"
    )
    (sources / "node.sources").write_text(
        "Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n"
        "Components: main\n"
    )
    monkeypatch.setattr(setup, "SOURCES_DIR", sources)
    deb822, _oneline = setup.deb_src_entries("bookworm")
    assert deb822 == (
        "Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg"
    )


def test_an_impossible_build_says_why_and_the_tests_skip_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEFT_K8S_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(setup.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(setup.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert setup.main([]) == setup.EXIT_UNAVAILABLE
    assert setup.main(["--if-possible"]) == 0
    err = capsys.readouterr().err
    assert "building needs root" in err
    reason = binaries.unavailable_reason()
    assert reason and "building needs root" in reason and str(tmp_path / "cache") in reason


def test_cached_binaries_make_the_build_a_no_op(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("WEFT_K8S_CACHE", str(cache))
    target = cache / binaries.K8S_VERSION
    target.mkdir(parents=True)
    for name in binaries.BINARIES:
        (target / name).write_text("#!/bin/sh\n")
        (target / name).chmod(0o755)
    monkeypatch.setattr(binaries, "etcd_binary", lambda: "/usr/bin/etcd")
    monkeypatch.setattr(setup, "etcd_binary", lambda: "/usr/bin/etcd")
    monkeypatch.setattr(setup, "_preflight", lambda: pytest.fail("must not build"))
    assert setup.main([]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_generated_certificates_chain_to_the_ca(tmp_path: Path) -> None:
    from cryptography import x509

    paths = generate(tmp_path)
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    served = x509.load_pem_x509_certificate(paths.serving_cert.read_bytes())
    assert served.issuer == ca.subject
    sans = served.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    assert oct(paths.sa_key.stat().st_mode & 0o777) == "0o600"
