"""The kubelet simulator's nodes (pure): the objects it registers, the patch that brings one
back in line, its status and Lease; and the nodes file it follows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weft.local.kube import kubelet_sim, node
from weft.local.kube.node import SIM_LABEL


def test_nodes_file(tmp_path: Path) -> None:
    assert [n["name"] for n in kubelet_sim.load_nodes(tmp_path)] == [
        "local-node-1",
        "local-node-2",
        "local-node-3",
    ]
    (tmp_path / "nodes.json").write_text('[{"name": "general-1", "labels": {"pool": "general"}}]')
    assert kubelet_sim.load_nodes(tmp_path) == [
        {"name": "general-1", "labels": {"pool": "general"}}
    ]


def test_an_unreadable_nodes_file_keeps_the_default_nodes(tmp_path: Path) -> None:
    (tmp_path / "nodes.json").write_text("{not json")
    assert len(kubelet_sim.load_nodes(tmp_path)) == 3
    (tmp_path / "nodes.json").write_text('[{"labels": {}}]')
    assert kubelet_sim.load_nodes(tmp_path) == node.DEFAULT_NODES


def test_zones_come_from_the_file_or_the_position() -> None:
    assert node.zone({"name": "a"}, 1) == "local-a"
    assert node.zone({"name": "a"}, 5) == "local-b"
    assert node.zone({"name": "a", "labels": {node.ZONE_LABEL: "us-east-2c"}}, 1) == "us-east-2c"


def test_a_node_is_registered_simulated_with_its_labels_and_taints() -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    cfg = {
        "name": "gpu-1",
        "labels": {"pool": "gpu", "kubernetes.io/arch": "arm64"},
        "taints": [taint],
    }
    body = node.node_body(3, cfg, "local-c")
    labels = body["metadata"]["labels"]
    assert labels[SIM_LABEL] == "true"
    assert labels["pool"] == "gpu"
    assert labels["kubernetes.io/arch"] == "arm64"  # the file's labels win
    assert labels["kubernetes.io/hostname"] == "gpu-1"
    assert labels["topology.kubernetes.io/zone"] == "local-c"
    assert body["spec"] == {"taints": [taint], "providerID": "aws:///local-c/i-00000000000000003"}
    assert node.is_simulated(body)
    assert not node.is_simulated({"metadata": {"name": "real", "labels": {}}})


def registered(labels: dict[str, str], taints: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"name": "n", "labels": labels}, "spec": {"taints": taints}}


def test_a_node_in_line_needs_no_patch() -> None:
    body = node.node_body(1, {"name": "n", "labels": {"pool": "a"}}, "local-a")
    current = registered({**body["metadata"]["labels"], "extra": "kept"}, [])
    assert node.node_patch(current, body) is None


def test_the_patch_restores_labels_and_taints_but_keeps_the_controller_s() -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    body = node.node_body(1, {"name": "n", "labels": {"pool": "b"}, "taints": [taint]}, "local-a")
    unreachable = {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}
    current = registered({**body["metadata"]["labels"], "pool": "a"}, [unreachable])
    assert node.node_patch(current, body) == {
        "metadata": {"labels": body["metadata"]["labels"]},
        "spec": {"taints": [taint, unreachable]},
    }
    # only a taint differs
    current = registered(body["metadata"]["labels"], [unreachable])
    patch = node.node_patch(current, body)
    assert patch is not None and patch["spec"]["taints"] == [taint, unreachable]


def test_a_simulated_node_reports_ready_and_its_address() -> None:
    status = node.node_status("n1", "10.0.1.10", "2030-01-01T00:00:00Z")
    assert node.is_ready({"status": status})
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "MemoryPressure": "False",
        "DiskPressure": "False",
        "PIDPressure": "False",
        "Ready": "True",
    }
    assert all(c["lastHeartbeatTime"] == "2030-01-01T00:00:00Z" for c in status["conditions"])
    assert status["addresses"] == [
        {"type": "InternalIP", "address": "10.0.1.10"},
        {"type": "Hostname", "address": "n1"},
    ]
    assert status["nodeInfo"]["kubeletVersion"] == node.KUBELET_VERSION
    assert not node.is_ready({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}})
    assert not node.is_ready({})


def test_the_lease_is_the_node_s() -> None:
    lease = node.lease_body("n1", "uid-1", "2030-01-01T00:00:00.000000Z")
    assert lease["metadata"]["namespace"] == "kube-node-lease"
    assert lease["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Node", "name": "n1", "uid": "uid-1"}
    ]
    assert lease["spec"] == {
        "holderIdentity": "n1",
        "leaseDurationSeconds": 40,
        "renewTime": "2030-01-01T00:00:00.000000Z",
    }


def test_a_node_of_an_instance_registers_as_it_and_is_replaced_with_it() -> None:
    cfg = {
        "name": "c-general-1",
        "labels": {},
        "provider_id": "aws:///us-east-2a/i-0abc",
        "security_groups": ["sg-1", "sg-2"],
    }
    body = node.node_body(1, cfg, "us-east-2a")
    assert body["spec"]["providerID"] == "aws:///us-east-2a/i-0abc"
    assert body["metadata"]["annotations"] == {node.GROUPS_ANNOTATION: "sg-1,sg-2"}
    assert not node.replaced(body, body)
    again = node.node_body(1, {**cfg, "provider_id": "aws:///us-east-2a/i-0def"}, "us-east-2a")
    assert node.replaced(body, again)
