"""EKS Pod Identity in the model (``cluster.pod_identity``): the controller's role trusts
``pods.eks.amazonaws.com`` and is tied to its ServiceAccount by an association, the agent
add-on runs on the node groups; without the option, IRSA as before."""

from __future__ import annotations

from typing import Any

from weft.core.resource import Ref, Resource
from weft.fabricfile import parse_fabric
from weft.model import desired_resources

from ...integration.helpers import CLUSTER_VERSION


def _fabric(pod_identity: bool) -> Any:
    return parse_fabric(
        f"""\
name: podid
region: us-east-2
network: {{cidr: 10.0.0.0/16}}
cluster:
  version: "{CLUSTER_VERSION}"
  api_cidrs: [203.0.113.0/24]
  pod_identity: {str(pod_identity).lower()}
nodegroups: [{{name: general, instance_types: [m6i.large], min: 1, max: 2}}]
""",
        source="fabric.yaml",
    )


def _resources(pod_identity: bool) -> dict[str, Resource]:
    fabric = _fabric(pod_identity)
    found = desired_resources(fabric, account_id="123456789012", zones=fabric.zone_names())
    return {r.address: r for r in found}


def test_with_pod_identity_the_controller_role_trusts_eks_pods_and_is_associated() -> None:
    found = _resources(True)
    trust = found["iam_role.lb-controller"].props["assume_role_policy"]
    assert trust["Statement"] == (
        {
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ("sts:AssumeRole", "sts:TagSession"),
        },
    )
    association = found["eks_pod_identity_association.lb-controller"]
    assert association.props["namespace"] == "kube-system"
    assert association.props["service_account"] == "aws-load-balancer-controller"
    assert association.props["role_arn"] == Ref("iam_role.lb-controller", "arn")
    assert association.props["cluster_name"] == Ref("eks_cluster.main")
    assert association.props["tags"]["weft:fabric"] == "podid"
    agent = found["eks_addon.eks-pod-identity-agent"]
    assert agent.props["addon_name"] == "eks-pod-identity-agent"
    assert agent.props["addon_version"] is None
    assert "eks_nodegroup.general" in agent.dependencies()


def test_without_it_irsa_as_before() -> None:
    found = _resources(False)
    trust = found["iam_role.lb-controller"].props["assume_role_policy"]
    assert trust["Statement"][0]["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert not [a for a in found if a.startswith("eks_pod_identity_association.")]
    assert "eks_addon.eks-pod-identity-agent" not in found
