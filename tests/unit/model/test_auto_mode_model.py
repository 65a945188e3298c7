"""An EKS Auto Mode fabric in the model: the cluster's three Auto Mode settings, the roles with
the policies AWS documents, and no load-balancer controller."""

from __future__ import annotations

from typing import Any

from weft.core.resource import Ref
from weft.fabricfile import parse_fabric
from weft.model import desired_resources
from weft.model.cluster import AWS_POLICY
from weft.model.lb_controller import needs_controller

AUTO = """\
name: demo
region: us-east-2
network:
  cidr: 10.0.0.0/16
cluster:
  compute: auto
  api_cidrs: [203.0.113.0/24]
"""


def _resources(text: str) -> dict[str, Any]:
    fabric = parse_fabric(text, "fabric.yaml")
    found = desired_resources(fabric, account_id="123456789012", zones=fabric.zone_names())
    return {r.address: r for r in found}


def _policies(resource: Any) -> set[str]:
    return {p.removeprefix(AWS_POLICY) for p in resource.props["managed_policies"]}


def test_an_auto_mode_cluster_gets_its_roles_and_settings() -> None:
    res = _resources(AUTO)
    cluster = res["eks_cluster.main"].props
    assert cluster["auto_mode"] is True
    assert cluster["auto_node_role_arn"] == Ref("iam_role.auto-nodes", "arn")
    assert _policies(res["iam_role.cluster"]) >= {
        "AmazonEKSClusterPolicy",
        "AmazonEKSComputePolicy",
        "AmazonEKSBlockStoragePolicy",
        "AmazonEKSLoadBalancingPolicy",
        "AmazonEKSNetworkingPolicy",
    }
    trust = res["iam_role.cluster"].props["assume_role_policy"]["Statement"][0]
    assert "sts:TagSession" in trust["Action"]
    assert _policies(res["iam_role.auto-nodes"]) == {
        "AmazonEKSWorkerNodeMinimalPolicy",
        "AmazonEC2ContainerRegistryPullOnly",
    }
    assert "iam_role.nodes" not in res
    assert "iam_role.lb-controller" not in res
    # Auto Mode runs the CNI, kube-proxy, CoreDNS and the EBS CSI driver itself
    assert [a for a in res if a.startswith("eks_addon.")] == ["eks_addon.metrics-server"]


def test_node_groups_next_to_auto_mode_keep_their_role_but_get_no_controller() -> None:
    text = AUTO + "nodegroups:\n  - {name: general, instance_types: [t3.medium], min: 1, max: 2}\n"
    res = _resources(text)
    assert "iam_role.nodes" in res and "iam_role.auto-nodes" in res
    assert not needs_controller(parse_fabric(text, "fabric.yaml"))
    assert "iam_role.lb-controller" not in res


def test_a_node_group_cluster_is_not_auto_mode() -> None:
    text = AUTO.replace("  compute: auto\n", "") + (
        "nodegroups:\n  - {name: general, instance_types: [t3.medium], min: 1, max: 2}\n"
    )
    res = _resources(text)
    cluster = res["eks_cluster.main"].props
    assert cluster["auto_mode"] is False and cluster["auto_node_role_arn"] is None
    assert "iam_role.auto-nodes" not in res
    assert "AmazonEKSComputePolicy" not in _policies(res["iam_role.cluster"])
    assert "iam_role.lb-controller" in res
