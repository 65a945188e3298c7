"""Where the local Kubernetes binaries are cached, which version runs, and where it came from.

Each version has a directory of its own, ``<cache root>/<version>`` (``~/.cache/weft/k8s/1.36.2``,
or under ``$WEFT_K8S_CACHE``), holding ``kube-apiserver``, ``kube-controller-manager`` and
``ORIGIN`` (JSON: how the binaries were obtained — built from a source tarball, downloaded from
the Kubernetes project's releases, or built from Debian's source package — with the details).
:mod:`weft.local.kube.setup` fills it.

The local cloud runs the newest cached version, or the one ``$WEFT_K8S_VERSION`` names.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The Kubernetes version Debian bookworm's ``kubernetes`` source package vendors in full.
DEBIAN_VERSION = "1.20.2"
BINARIES = ("kube-apiserver", "kube-controller-manager")
#: Written by the build step when it cannot build; its text is the reason tests skip with.
UNAVAILABLE_FILE = "UNAVAILABLE"
ORIGIN_FILE = "ORIGIN"
#: Choose the version the local cloud runs among the cached ones (default: the newest).
VERSION_ENV = "WEFT_K8S_VERSION"

_VERSION_RE = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")


def parse_version(text: str) -> tuple[int, int, int]:
    """``"1.36.2"`` (or ``"v1.36.2"``) -> ``(1, 36, 2)``; ValueError for anything else."""
    match = _VERSION_RE.fullmatch(text.strip().removeprefix("v"))
    if not match:
        raise ValueError(f"not a Kubernetes version: {text!r} (expected e.g. 1.36.2)")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def minor_of(version: str) -> int:
    """The minor version: ``"1.36.2"`` -> 36."""
    return parse_version(version)[1]


def cache_root() -> Path:
    """``$WEFT_K8S_CACHE``, else ``~/.cache/weft/k8s``."""
    explicit = os.environ.get("WEFT_K8S_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "weft" / "k8s"


def cache_dir(version: str) -> Path:
    return cache_root() / version


def have_binaries(version: str) -> bool:
    return all(os.access(cache_dir(version) / name, os.X_OK) for name in BINARIES)


def cached_versions() -> list[str]:
    """Every version whose two binaries are in the cache, oldest first."""
    root = cache_root()
    if not root.is_dir():
        return []
    found = []
    for entry in root.iterdir():
        with contextlib.suppress(ValueError):
            parse_version(entry.name)
            if have_binaries(entry.name):
                found.append(entry.name)
    return sorted(found, key=parse_version)


def selected_version() -> str | None:
    """The version the local cloud runs: ``$WEFT_K8S_VERSION`` when set and cached, else the
    newest cached one; None when none is (or the one asked for is not)."""
    wanted = os.environ.get(VERSION_ENV, "").strip().removeprefix("v")
    versions = cached_versions()
    if wanted:
        return wanted if wanted in versions else None
    return versions[-1] if versions else None


def binary(name: str, version: str) -> Path:
    return cache_dir(version) / name


@dataclass(frozen=True)
class Origin:
    """How a cached version was obtained (``source``, ``download`` or ``debian``) and details."""

    version: str
    kind: str
    detail: str
    at: str = ""

    def describe(self) -> str:
        how = {
            "source": "built from a source tree",
            "download": "official release binaries",
            "debian": "built from Debian's source package",
        }.get(self.kind, self.kind)
        return f"{how}: {self.detail}" if self.detail else how

    def to_dict(self) -> dict[str, str]:
        return {"version": self.version, "kind": self.kind, "detail": self.detail, "at": self.at}


def write_origin(directory: Path, origin: Origin) -> None:
    (directory / ORIGIN_FILE).write_text(json.dumps(origin.to_dict(), indent=2) + "\n")


def origin(version: str) -> Origin:
    """Where the cached ``version`` came from (``unknown`` for a cache made before this was
    recorded: Debian's 1.20.2 then)."""
    data: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads((cache_dir(version) / ORIGIN_FILE).read_text())
        data = loaded if isinstance(loaded, dict) else {}
    if not data and version == DEBIAN_VERSION:
        return Origin(version, "debian", "bookworm")
    return Origin(
        version=version,
        kind=str(data.get("kind", "unknown")),
        detail=str(data.get("detail", "")),
        at=str(data.get("at", "")),
    )


def etcd_binary() -> str | None:
    return shutil.which("etcd") or (
        "/usr/bin/etcd" if os.access("/usr/bin/etcd", os.X_OK) else None
    )


def unavailable_reason() -> str | None:
    """Why the local Kubernetes cannot run here, or None when it can."""
    if selected_version() is None:
        wanted = os.environ.get(VERSION_ENV, "").strip()
        cached = cached_versions()
        if wanted:
            have = ", ".join(cached) if cached else "none"
            return (
                f"${VERSION_ENV} asks for Kubernetes {wanted}, which is not in {cache_root()} "
                f"(cached: {have}); build it with `make kube` or unset {VERSION_ENV}"
            )
        recorded = cache_root() / UNAVAILABLE_FILE
        detail = ""
        with contextlib.suppress(OSError):
            detail = recorded.read_text().strip()
        why = f"no kube-apiserver/kube-controller-manager in {cache_root()}"
        if detail:
            return f"{why}: the build step said: {detail}"
        return f"{why}; build them with `make kube` (python -m weft.local.kube.setup)"
    if etcd_binary() is None:
        return "etcd is not installed (Debian package etcd-server); run `make kube`"
    return None
