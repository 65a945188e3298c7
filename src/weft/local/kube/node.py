"""The simulated nodes of the local Kubernetes, as objects (pure): what a node is registered
with, the status that keeps it Ready, its Lease, and the patch that brings a registered node
back in line with ``nodes.json``.

An entry of ``nodes.json`` written by the local EKS (:mod:`weft.local.moto_eks.instances`)
names the EC2 instance the node is: ``provider_id`` (the node's ``spec.providerID``), ``ip``
(its InternalIP), ``pod_ips`` (the secondary addresses of its interface, which its pods get, as
the VPC CNI gives them) and ``security_groups`` (the instance's, so its pods'; also in the
annotation :data:`GROUPS_ANNOTATION`).

Every simulated node carries the label :data:`SIM_LABEL`; only such nodes are ever changed or
deleted by the simulator. Taints under ``node.kubernetes.io/`` belong to the node-lifecycle
controller (``not-ready``, ``unreachable``...) and are left to it.
"""

from __future__ import annotations

from typing import Any

from weft.local.kube.meta import meta

SIM_LABEL = "weft.local/simulated"
#: The security groups of the node's instance, comma-separated (informational: what the local
#: EC2 holds is what counts).
GROUPS_ANNOTATION = "weft.local/security-groups"
#: The nodes registered when ``nodes.json`` is absent (no node group in the local EKS).
DEFAULT_NODES = [{"name": f"local-node-{i}", "labels": {}, "taints": []} for i in (1, 2, 3)]
#: What a node reports as its kubelet when not told the API server's version.
KUBELET_VERSION = "v1.20.2"
ZONE_LABEL = "topology.kubernetes.io/zone"
#: Taints with this prefix are the node-lifecycle controller's.
CONTROLLER_TAINTS = "node.kubernetes.io/"


def is_ready(node: dict[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def is_simulated(node: dict[str, Any]) -> bool:
    return (meta(node).get("labels") or {}).get(SIM_LABEL) == "true"


def zone(cfg: dict[str, Any], index: int) -> str:
    """The node's zone: its zone label in ``nodes.json``, else ``local-a``, ``-b``, ``-c`` by
    its position (``index`` counts from 1)."""
    return (cfg.get("labels") or {}).get(ZONE_LABEL) or f"local-{'abc'[(index - 1) % 3]}"


def node_body(index: int, cfg: dict[str, Any], zone: str) -> dict[str, Any]:
    """The Node registered for one entry of ``nodes.json`` (``index`` counts from 1)."""
    name = cfg["name"]
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        ZONE_LABEL: zone,
        "node.kubernetes.io/instance-type": "m5.large",
        SIM_LABEL: "true",
        **{str(k): str(v) for k, v in (cfg.get("labels") or {}).items()},
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            **(
                {"annotations": {GROUPS_ANNOTATION: ",".join(cfg["security_groups"])}}
                if cfg.get("security_groups")
                else {}
            ),
        },
        "spec": {
            "taints": list(cfg.get("taints") or []),
            "providerID": cfg.get("provider_id") or f"aws:///{zone}/i-{index:017x}",
        },
    }


def replaced(current: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether the registered node ``current`` stands for another instance than ``body`` (its
    node group moved to a template with other security groups, and EKS recycled it): the
    provider ID cannot change, so the node is registered anew."""
    return (current.get("spec") or {}).get("providerID") != body["spec"]["providerID"]


def node_patch(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any] | None:
    """The merge patch that gives a registered node ``body``'s labels and taints (keeping the
    controller's taints), or None when it has them already."""
    labels = meta(current).get("labels", {})
    taints = (current.get("spec") or {}).get("taints") or []
    managed = [t for t in taints if not str(t.get("key", "")).startswith(CONTROLLER_TAINTS)]
    wanted = body["metadata"]["labels"]
    if all(labels.get(k) == v for k, v in wanted.items()) and managed == body["spec"]["taints"]:
        return None
    controller = [t for t in taints if t not in managed]
    return {
        "metadata": {"labels": wanted},
        "spec": {"taints": body["spec"]["taints"] + controller},
    }


def node_status(
    name: str,
    ip: str,
    stamp: str,
    kubelet_version: str = KUBELET_VERSION,
    kubelet_endpoint: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """A healthy node's status, every condition last heard of at ``stamp``; its kubelet is
    ``kubelet_version`` (the API server's: nodes of a current cluster run its version).

    ``kubelet_endpoint`` (host, port): where the node's kubelet is served on this machine (the
    simulators' HTTPS endpoint, :mod:`weft.local.kube.kubelet_logs`), reported as the node's
    ``InternalDNS`` address and kubelet port, which the API server tries first
    (:data:`weft.local.kube.flags.KUBELET_ADDRESS_TYPES`); without it, port 10250 and no such
    address."""

    def cond(type_: str, status: str, reason: str, message: str) -> dict[str, str]:
        return {
            "type": type_,
            "status": status,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": stamp,
            "lastTransitionTime": stamp,
        }

    capacity = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "80Gi"}
    return {
        "conditions": [
            cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "sufficient memory"),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "no disk pressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "sufficient PID"),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "addresses": [
            {"type": "InternalIP", "address": ip},
            *(
                [{"type": "InternalDNS", "address": kubelet_endpoint[0]}]
                if kubelet_endpoint
                else []
            ),
            {"type": "Hostname", "address": name},
        ],
        "capacity": capacity,
        "allocatable": {**capacity, "cpu": "3920m", "memory": "15Gi"},
        "daemonEndpoints": {
            "kubeletEndpoint": {"Port": kubelet_endpoint[1] if kubelet_endpoint else 10250}
        },
        "nodeInfo": {
            "machineID": "weft-local",
            "systemUUID": "weft-local",
            "bootID": "weft-local",
            "kernelVersion": "simulated",
            "osImage": "weft local kubelet simulator",
            "containerRuntimeVersion": "simulated://1",
            "kubeletVersion": kubelet_version,
            "kubeProxyVersion": kubelet_version,
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
    }


def lease_body(name: str, node_uid: str | None, stamp: str) -> dict[str, Any]:
    """The node's Lease in ``kube-node-lease``, owned by the node, renewed at ``stamp``."""
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "namespace": "kube-node-lease",
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": name, "uid": node_uid}
            ],
        },
        "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": stamp},
    }
