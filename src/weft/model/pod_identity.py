"""EKS Pod Identity, where the fabric file asks for it (``cluster.pod_identity: true``).

**Where weft uses it.** Only for the pods weft runs itself (the AWS Load Balancer Controller,
:mod:`weft.model.lb_controller`), and only when asked: IRSA works on every compute weft offers
(Fargate pods cannot use Pod Identity), and turning it on by default would replace the trust of
running clusters' roles. The EKS add-ons keep IRSA (vpc-cni needs its role before its nodes are
Ready, before the agent can run), and so do the apps.

When it is on (:func:`pod_identity_resources`), the ``eks-pod-identity-agent`` add-on runs on
the node groups (at the version EKS picks); each role meant for a service account trusts the
service principal ``pods.eks.amazonaws.com`` with ``sts:AssumeRole`` and ``sts:TagSession``
(:func:`pod_trust`, as "Create a Pod Identity role", Amazon EKS User Guide prescribes), and an
``eks_pod_identity_association`` ties it to the ServiceAccount (:func:`associate`); the
ServiceAccount carries no ``eks.amazonaws.com/role-arn`` annotation (the SDK would try IRSA
first).
"""

from __future__ import annotations

from typing import Any

from weft.core.resource import Ref, Resource
from weft.fabricfile import Fabric
from weft.model import addresses
from weft.model.builder import Builder

__all__ = [
    "AGENT_ADDON",
    "SERVICE_PRINCIPAL",
    "associate",
    "pod_identity_resources",
    "pod_trust",
    "uses_pod_identity",
]

AGENT_ADDON = "eks-pod-identity-agent"
SERVICE_PRINCIPAL = "pods.eks.amazonaws.com"


def uses_pod_identity(fabric: Fabric) -> bool:
    """Whether weft's own pods get their roles through EKS Pod Identity."""
    return fabric.cluster is not None and fabric.cluster.pod_identity


def pod_trust() -> dict[str, Any]:
    """The trust policy of a role given to pods through EKS Pod Identity."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": SERVICE_PRINCIPAL},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }


def associate(b: Builder, name: str, namespace: str, service_account: str, role: Ref) -> Ref:
    """The association of the ServiceAccount ``namespace/service_account`` with ``role``."""
    return b.add(
        "eks_pod_identity_association",
        name,
        {
            "cluster_name": Ref(addresses.CLUSTER),
            "namespace": namespace,
            "service_account": service_account,
            "role_arn": Ref(role.address, "arn"),
        },
    )


def pod_identity_resources(fabric: Fabric) -> list[Resource]:
    """The agent add-on, when the fabric uses Pod Identity (see the module docstring)."""
    if not uses_pod_identity(fabric):
        return []
    b = Builder(fabric)
    b.add(
        "eks_addon",
        AGENT_ADDON,
        {
            "cluster_name": Ref(addresses.CLUSTER),
            "addon_name": AGENT_ADDON,
            "addon_version": None,
            "service_account_role_arn": None,
            "configuration": {},
        },
        # a DaemonSet: it needs the nodes it runs on
        depends_on=tuple(f"eks_nodegroup.{ng.name}" for ng in fabric.nodegroups),
    )
    return b.resources
