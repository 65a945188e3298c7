"""Reading a Kubernetes object held as a plain dict (its metadata, its (namespace, name) key),
and the time stamps the API server expects. Pure: the simulators' decisions import only this.
"""

from __future__ import annotations

import datetime
from typing import Any


def now_iso() -> str:
    """Now, as the API server writes a ``Time`` (seconds)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    """Now, as the API server writes a ``MicroTime`` (a Lease's renewal)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def key(obj: dict[str, Any]) -> tuple[str, str]:
    m = meta(obj)
    return (m.get("namespace") or "", m.get("name") or "")
