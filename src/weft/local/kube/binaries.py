"""Where the self-built Kubernetes binaries are cached, and whether they are there."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

#: The Kubernetes version Debian bookworm's ``kubernetes`` source package vendors in full.
K8S_VERSION = "1.20.2"
BINARIES = ("kube-apiserver", "kube-controller-manager")
#: Written by the build step when it cannot build; its text is the reason tests skip with.
UNAVAILABLE_FILE = "UNAVAILABLE"


def cache_root() -> Path:
    """``$WEFT_K8S_CACHE``, else ``~/.cache/weft/k8s``."""
    explicit = os.environ.get("WEFT_K8S_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "weft" / "k8s"


def cache_dir() -> Path:
    return cache_root() / K8S_VERSION


def binary(name: str) -> Path:
    return cache_dir() / name


def have_binaries() -> bool:
    return all(os.access(binary(name), os.X_OK) for name in BINARIES)


def etcd_binary() -> str | None:
    return shutil.which("etcd") or (
        "/usr/bin/etcd" if os.access("/usr/bin/etcd", os.X_OK) else None
    )


def unavailable_reason() -> str | None:
    """Why the local Kubernetes cannot run here, or None when it can."""
    if not have_binaries():
        recorded = cache_root() / UNAVAILABLE_FILE
        detail = ""
        with contextlib.suppress(OSError):
            detail = recorded.read_text().strip()
        why = f"kube-apiserver/kube-controller-manager {K8S_VERSION} are not in {cache_dir()}"
        if detail:
            return f"{why}: the build step said: {detail}"
        return f"{why}; build them with `make kube` (python -m weft.local.kube.setup)"
    if etcd_binary() is None:
        return "etcd is not installed (Debian package etcd-server); run `make kube`"
    return None
