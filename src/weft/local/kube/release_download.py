"""The Kubernetes project's official ``kube-apiserver`` and ``kube-controller-manager`` binaries.

Where the machine can reach the project's release downloads (``https://dl.k8s.io/release``, or
``$WEFT_K8S_RELEASE_URL``), each binary is fetched from
``<base>/v<version>/bin/linux/<arch>/<name>`` and checked against the SHA-256 digest the project
publishes beside it (``<name>.sha256``), as envtest checks what it downloads. A binary whose digest
differs is refused and nothing of it is kept; where the downloads cannot be reached at all, this
way is skipped with the reason.
"""

from __future__ import annotations

import hashlib
import os
import platform
import urllib.error
import urllib.request
from pathlib import Path

from weft.local.kube.binaries import BINARIES
from weft.local.kube.buildlog import BuildFailed, Progress, Unavailable

RELEASE_URL_ENV = "WEFT_K8S_RELEASE_URL"
DEFAULT_RELEASE_URL = "https://dl.k8s.io/release"
#: The version fetched when ``$WEFT_K8S_VERSION`` does not name one.
DEFAULT_VERSION = "1.36.2"
PROBE_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class DigestMismatch(BuildFailed):
    """A downloaded binary is not the one the project published: refused, never installed."""


def release_url() -> str:
    return os.environ.get(RELEASE_URL_ENV, DEFAULT_RELEASE_URL).rstrip("/")


def arch() -> str:
    machine = platform.machine().lower()
    if machine not in _ARCHES:
        raise Unavailable(
            f"no official Kubernetes binaries for this machine's architecture {machine}"
        )
    return _ARCHES[machine]


def binary_url(version: str, name: str) -> str:
    return f"{release_url()}/v{version}/bin/linux/{arch()}/{name}"


def _published_digest(url: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(f"{url}.sha256", timeout=timeout) as answer:
            text = answer.read(4096).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        raise Unavailable(f"{url}.sha256: HTTP {exc.code} (no such release?)") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unavailable(f"cannot reach {release_url()}: {reason}") from exc
    digest = text.split()[0].lower() if text.split() else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise BuildFailed(f"{url}.sha256 does not hold a SHA-256 digest")
    return digest


def download(version: str, into: Path, say: Progress) -> tuple[dict[str, Path], str]:
    """Both binaries of ``version``, verified, in ``into``; and how (for the ORIGIN record)."""
    first = binary_url(version, BINARIES[0])
    say(f"looking for Kubernetes {version} at {release_url()}")
    digests = {BINARIES[0]: _published_digest(first, PROBE_TIMEOUT)}
    for name in BINARIES[1:]:
        digests[name] = _published_digest(binary_url(version, name), READ_TIMEOUT)
    got = {}
    for name in BINARIES:
        url = binary_url(version, name)
        target = into / name
        say(f"downloading {url}")
        actual = _fetch(url, target)
        if actual != digests[name]:
            target.unlink(missing_ok=True)
            raise DigestMismatch(
                f"{url}: SHA-256 {actual} differs from the published {digests[name]}; "
                "refused (nothing installed)"
            )
        os.chmod(target, 0o755)
        say(f"verified {name} (sha256 {actual[:16]}…)")
        got[name] = target
    return got, f"{release_url()}/v{version} (linux/{arch()}), SHA-256 verified"


def _fetch(url: str, target: Path) -> str:
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=READ_TIMEOUT) as answer, open(target, "wb") as out:
            for block in iter(lambda: answer.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    except (urllib.error.URLError, OSError) as exc:
        target.unlink(missing_ok=True)
        raise Unavailable(f"downloading {url} failed: {getattr(exc, 'reason', exc)}") from exc
    return digest.hexdigest()
