"""Kubeconfig entries for a fabric's cluster (pure: dicts in, dicts out; no AWS, no files).

Each fabric gets one cluster, one user and one context, all named ``weft-<fabric>``. The user
holds no credential: it runs ``weft token <fabric>`` (an exec plugin) whenever kubectl needs
one, so the file can be shared and never goes stale. :func:`merge` puts these entries into an
existing kubeconfig, replacing entries of the same names and keeping everything else.
"""

from __future__ import annotations

import copy
from typing import Any

EXEC_API_VERSION = "client.authentication.k8s.io/v1beta1"
_SECTIONS = ("clusters", "users", "contexts")


def entry_name(fabric: str) -> str:
    return f"weft-{fabric}"


def render_context(
    fabric: str,
    cluster_name: str,
    endpoint: str,
    ca_data: str,
    region: str,
    *,
    fabric_file: str | None,
    local: bool,
) -> dict[str, Any]:
    """A kubeconfig holding the fabric's cluster, user and context (current context: it)."""
    name = entry_name(fabric)
    args = ["token", fabric]
    if fabric_file:
        args += ["-f", fabric_file]
    if local:
        args.append("--local")
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": ca_data,
                    # what this entry stands for, for people and tools reading the file
                    "extensions": [
                        {
                            "name": "weft",
                            "extension": {
                                "fabric": fabric,
                                "eks-cluster": cluster_name,
                                "region": region,
                                "local": local,
                            },
                        }
                    ],
                },
            }
        ],
        "users": [
            {
                "name": name,
                "user": {
                    "exec": {
                        "apiVersion": EXEC_API_VERSION,
                        "command": "weft",
                        "args": args,
                        "interactiveMode": "Never",
                        "provideClusterInfo": False,
                    }
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }


def merge(existing: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """``existing`` with ``new``'s clusters, users and contexts put in (same names replaced,
    others kept, order kept) and ``new``'s current context made current. Neither is changed."""
    merged: dict[str, Any] = copy.deepcopy(existing) if existing else {}
    merged.setdefault("apiVersion", "v1")
    merged.setdefault("kind", "Config")
    merged.setdefault("preferences", {})
    for section in _SECTIONS:
        entries = [e for e in merged.get(section) or [] if isinstance(e, dict)]
        for entry in new.get(section) or []:
            for i, old in enumerate(entries):
                if old.get("name") == entry.get("name"):
                    entries[i] = copy.deepcopy(entry)
                    break
            else:
                entries.append(copy.deepcopy(entry))
        merged[section] = entries
    if new.get("current-context"):
        merged["current-context"] = new["current-context"]
    return merged
