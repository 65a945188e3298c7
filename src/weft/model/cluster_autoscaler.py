"""The Cluster Autoscaler's IAM role (IRSA), made by ``weft up`` for a cluster with node groups.

weft installs the Cluster Autoscaler (:mod:`weft.kube.cluster_autoscaler`) in ``kube-system``
under the ServiceAccount ``cluster-autoscaler``; its role, ``iam_role.cluster-autoscaler``, may
be assumed only by that ServiceAccount with STS's audience (:func:`weft.model.cluster.irsa_trust`).

Its one inline policy (:func:`autoscaler_policy`) is the least privilege the Cluster
Autoscaler's AWS provider documents ("Full Cluster Autoscaler Features Policy (Recommended)",
``cluster-autoscaler/cloudprovider/aws/README.md`` of kubernetes/autoscaler, and "Cluster
Autoscaler" in the EKS Best Practices Guide): it may describe Auto Scaling groups, their
instances and tags, launch configurations and templates, instance types and images, and the
cluster's own node groups (``eks:DescribeNodegroup`` on this cluster's node group ARNs only);
it may change a group's size (``SetDesiredCapacity``) and terminate one of its instances
(``TerminateInstanceInAutoScalingGroup``) only on groups tagged
``k8s.io/cluster-autoscaler/<cluster>: owned`` — the tag EKS gives every managed node group of
this cluster — so it cannot resize another cluster's groups in the same account.
"""

from __future__ import annotations

from typing import Any

from weft.core.resource import Resource
from weft.fabricfile import Fabric
from weft.model.builder import Builder
from weft.model.cluster import iam_role, irsa_trust

__all__ = [
    "AUTOSCALER_POLICY",
    "AUTOSCALER_ROLE",
    "NAMESPACE",
    "SERVICE_ACCOUNT",
    "autoscaler_policy",
    "cluster_autoscaler_resources",
    "needs_autoscaler",
]

#: Where the autoscaler runs, and as whom (what its role's trust names).
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
#: The address of the autoscaler's role in the model.
AUTOSCALER_ROLE = "iam_role.cluster-autoscaler"
#: The name of the role's inline policy.
AUTOSCALER_POLICY = "weft-cluster-autoscaler"


def autoscaler_policy(cluster: str, partition: str = "aws") -> dict[str, Any]:
    """The autoscaler role's inline policy for ``cluster`` (see the module docstring)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Describe",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": "*",
            },
            {
                "Sid": "DescribeNodegroups",
                "Effect": "Allow",
                "Action": ["eks:DescribeNodegroup"],
                "Resource": f"arn:{partition}:eks:*:*:nodegroup/{cluster}/*/*",
            },
            {
                "Sid": "ScaleOwnedGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster}": "owned"
                    }
                },
            },
        ],
    }


def needs_autoscaler(fabric: Fabric) -> bool:
    """Whether weft installs the Cluster Autoscaler: a cluster with node groups (a Fargate-only
    cluster has no group to scale, and Fargate sizes itself per pod)."""
    return fabric.cluster is not None and bool(fabric.nodegroups)


def cluster_autoscaler_resources(fabric: Fabric) -> list[Resource]:
    """The autoscaler's role, when the fabric gets the autoscaler."""
    if not needs_autoscaler(fabric):
        return []
    b = Builder(fabric)
    iam_role(
        b,
        "cluster-autoscaler",
        irsa_trust(f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"),
        [],
        {AUTOSCALER_POLICY: autoscaler_policy(fabric.name)},
    )
    return b.resources
