"""Where the local EKS meets the local Kubernetes: files in the local cloud's state directory.

- ``kube.json`` (written by :mod:`weft.local.kube.control_plane` while the local Kubernetes
  runs): its API server's endpoint and CA file. While it is there, every cluster reports that
  endpoint and CA, so clients reach a real Kubernetes exactly as they reach an EKS cluster.
- ``nodes.json`` (written here, followed by the kubelet simulator): the nodes of every node
  group (:func:`weft.local.moto_eks.nodegroup.nodes_of`).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

#: The local cloud's state directory (set by :mod:`weft.local.moto_main`); None outside the
#: local cloud's server, where nothing is read or written.
LOCAL_DIR: Path | None = None


def recorded_api() -> tuple[str, str] | None:
    """(endpoint, base64 PEM CA) of the local Kubernetes while one is recorded, else None."""
    if LOCAL_DIR is None:
        return None
    try:
        record = json.loads((LOCAL_DIR / "kube.json").read_text())
        endpoint, ca_file = record.get("endpoint"), record.get("ca_file")
        if not endpoint or not ca_file:
            return None
        return str(endpoint), base64.b64encode(Path(ca_file).read_bytes()).decode()
    except (OSError, ValueError, AttributeError):
        return None


def write_nodes(nodes: list[dict[str, Any]]) -> None:
    """Replace ``nodes.json`` with ``nodes`` (atomically); without nodes the file goes and the
    simulator falls back to its three generic nodes, so the local Kubernetes always has
    somewhere to run pods."""
    if LOCAL_DIR is None:
        return
    path = LOCAL_DIR / "nodes.json"
    if not nodes:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(nodes, indent=1))
    tmp.replace(path)


def apply() -> None:
    """Every cluster answers with the local Kubernetes' endpoint and CA while it runs (its own,
    set at creation, otherwise)."""
    from moto.eks.models import Cluster

    def get_endpoint(self: Any) -> Any:
        local = recorded_api()
        return local[0] if local else self.__dict__.get("_weft_endpoint")

    def set_endpoint(self: Any, value: Any) -> None:
        self.__dict__["_weft_endpoint"] = value

    def get_ca(self: Any) -> Any:
        local = recorded_api()
        return {"data": local[1]} if local else self.__dict__.get("_weft_ca")

    def set_ca(self: Any, value: Any) -> None:
        self.__dict__["_weft_ca"] = value

    Cluster.endpoint = property(get_endpoint, set_endpoint)  # type: ignore[assignment]
    Cluster.certificate_authority = property(get_ca, set_ca)  # type: ignore[assignment]
