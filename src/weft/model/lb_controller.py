"""The AWS Load Balancer Controller's IAM role (IRSA, or EKS Pod Identity), made by ``weft up``
for a cluster with node groups or Fargate (not on an EKS Auto Mode cluster: EKS runs its load
balancers itself).

weft installs the controller (:mod:`weft.kube.lb_controller`, at the version pinned there) in
``kube-system`` under the ServiceAccount ``aws-load-balancer-controller``; its role,
``iam_role.lb-controller``, may be assumed only by that ServiceAccount with STS's audience
(:func:`weft.model.cluster.irsa_trust`), as "Install AWS Load Balancer Controller with Helm"
(Amazon EKS User Guide) prescribes; with ``cluster.pod_identity`` it trusts EKS Pod Identity
instead and a Pod Identity association ties it to that ServiceAccount
(:mod:`weft.model.pod_identity`).

Its one inline policy, :data:`CONTROLLER_POLICY`, is weft's rendering of the policy the controller's
project publishes for that version (``docs/install/iam_policy.json`` of
kubernetes-sigs/aws-load-balancer-controller, v3.5.0): the same sixteen statements, named
(``Sid``), with the partition of the fabric's ARNs. The controller may describe the network and
certificates, and create load balancers, target groups and security groups only tagged
``elbv2.k8s.aws/cluster``; it may change and delete only what carries that tag. Upgrading the
pinned controller is the moment to compare this rendering with the new version's policy.
"""

from __future__ import annotations

import json
from typing import Any

from weft.core.resource import Resource
from weft.fabricfile import Fabric
from weft.model.builder import Builder
from weft.model.cluster import iam_role, irsa_trust
from weft.model.pod_identity import associate, pod_trust, uses_pod_identity

__all__ = [
    "CONTROLLER_POLICY",
    "LB_CONTROLLER_ROLE",
    "NAMESPACE",
    "SERVICE_ACCOUNT",
    "controller_policy",
    "lb_controller_resources",
    "needs_controller",
]

#: Where the controller runs, and as whom (what its role's trust names).
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
#: The address of the controller's role in the model.
LB_CONTROLLER_ROLE = "iam_role.lb-controller"
#: The name of the role's inline policy.
CONTROLLER_POLICY = "weft-lb-controller"

_STATEMENTS: list[dict[str, Any]] = [
    {
        "Sid": "ServiceLinkedRole",
        "Effect": "Allow",
        "Action": ["iam:CreateServiceLinkedRole"],
        "Resource": "*",
        "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
    },
    {
        "Sid": "Describe",
        "Effect": "Allow",
        "Action": [
            "ec2:DescribeAccountAttributes",
            "ec2:DescribeAddresses",
            "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways",
            "ec2:DescribeVpcs",
            "ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
            "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeTags",
            "ec2:GetCoipPoolUsage",
            "ec2:DescribeCoipPools",
            "ec2:GetSecurityGroupsForVpc",
            "ec2:DescribeIpamPools",
            "ec2:DescribeRouteTables",
            "elasticloadbalancing:DescribeLoadBalancers",
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeListenerCertificates",
            "elasticloadbalancing:DescribeSSLPolicies",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth",
            "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTrustStores",
            "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation",
        ],
        "Resource": "*",
    },
    {
        "Sid": "FrontendServices",
        "Effect": "Allow",
        "Action": [
            "cognito-idp:DescribeUserPoolClient",
            "acm:ListCertificates",
            "acm:DescribeCertificate",
            "iam:ListServerCertificates",
            "iam:GetServerCertificate",
            "waf-regional:GetWebACL",
            "waf-regional:GetWebACLForResource",
            "waf-regional:AssociateWebACL",
            "waf-regional:DisassociateWebACL",
            "wafv2:GetWebACL",
            "wafv2:GetWebACLForResource",
            "wafv2:AssociateWebACL",
            "wafv2:DisassociateWebACL",
            "shield:GetSubscriptionState",
            "shield:DescribeProtection",
            "shield:CreateProtection",
            "shield:DeleteProtection",
        ],
        "Resource": "*",
    },
    {
        "Sid": "SecurityGroupRules",
        "Effect": "Allow",
        "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
        "Resource": "*",
    },
    {
        "Sid": "CreateSecurityGroup",
        "Effect": "Allow",
        "Action": ["ec2:CreateSecurityGroup"],
        "Resource": "*",
    },
    {
        "Sid": "TagNewSecurityGroup",
        "Effect": "Allow",
        "Action": ["ec2:CreateTags"],
        "Resource": "arn:aws:ec2:*:*:security-group/*",
        "Condition": {
            "StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"},
            "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"},
        },
    },
    {
        "Sid": "RetagOwnSecurityGroup",
        "Effect": "Allow",
        "Action": ["ec2:CreateTags", "ec2:DeleteTags"],
        "Resource": "arn:aws:ec2:*:*:security-group/*",
        "Condition": {
            "Null": {
                "aws:RequestTag/elbv2.k8s.aws/cluster": "true",
                "aws:ResourceTag/elbv2.k8s.aws/cluster": "false",
            }
        },
    },
    {
        "Sid": "ManageOwnSecurityGroup",
        "Effect": "Allow",
        "Action": [
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:DeleteSecurityGroup",
        ],
        "Resource": "*",
        "Condition": {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}},
    },
    {
        "Sid": "CreateTagged",
        "Effect": "Allow",
        "Action": [
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:CreateTargetGroup",
        ],
        "Resource": "*",
        "Condition": {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}},
    },
    {
        "Sid": "Listeners",
        "Effect": "Allow",
        "Action": [
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:DeleteRule",
        ],
        "Resource": "*",
    },
    {
        "Sid": "RetagOwnLoadBalancers",
        "Effect": "Allow",
        "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
        "Resource": [
            "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
            "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
            "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
        ],
        "Condition": {
            "Null": {
                "aws:RequestTag/elbv2.k8s.aws/cluster": "true",
                "aws:ResourceTag/elbv2.k8s.aws/cluster": "false",
            }
        },
    },
    {
        "Sid": "TagListeners",
        "Effect": "Allow",
        "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
        "Resource": [
            "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
            "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
            "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
            "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
        ],
    },
    {
        "Sid": "ManageOwnLoadBalancers",
        "Effect": "Allow",
        "Action": [
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:SetSecurityGroups",
            "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:DeleteLoadBalancer",
            "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes",
            "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyListenerAttributes",
            "elasticloadbalancing:ModifyCapacityReservation",
            "elasticloadbalancing:ModifyIpPools",
        ],
        "Resource": "*",
        "Condition": {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}},
    },
    {
        "Sid": "TagOnCreate",
        "Effect": "Allow",
        "Action": ["elasticloadbalancing:AddTags"],
        "Resource": [
            "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
            "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
            "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
        ],
        "Condition": {
            "StringEquals": {
                "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]
            },
            "Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"},
        },
    },
    {
        "Sid": "Targets",
        "Effect": "Allow",
        "Action": [
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:DeregisterTargets",
        ],
        "Resource": "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
    },
    {
        "Sid": "ListenerSettings",
        "Effect": "Allow",
        "Action": [
            "elasticloadbalancing:SetWebAcl",
            "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates",
            "elasticloadbalancing:RemoveListenerCertificates",
            "elasticloadbalancing:ModifyRule",
            "elasticloadbalancing:SetRulePriorities",
        ],
        "Resource": "*",
    },
]


def controller_policy(partition: str = "aws") -> dict[str, Any]:
    """The controller role's inline policy, with ARNs of ``partition``."""
    text = json.dumps(_STATEMENTS).replace('"arn:aws:', f'"arn:{partition}:')
    return {"Version": "2012-10-17", "Statement": json.loads(text)}


def needs_controller(fabric: Fabric) -> bool:
    """Whether weft installs the controller: a cluster with nodes to run it (node groups or
    Fargate) that is not an EKS Auto Mode one (Auto Mode's own controller serves its load
    balancers)."""
    return (
        fabric.cluster is not None
        and not fabric.cluster.auto_mode
        and bool(fabric.nodegroups or fabric.fargate)
    )


def lb_controller_resources(fabric: Fabric) -> list[Resource]:
    """The controller's role, when the fabric gets the controller (see the module docstring)."""
    if not needs_controller(fabric):
        return []
    b = Builder(fabric)
    pods = uses_pod_identity(fabric)
    role = iam_role(
        b,
        "lb-controller",
        pod_trust() if pods else irsa_trust(f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"),
        [],
        {CONTROLLER_POLICY: controller_policy()},
    )
    if pods:
        associate(b, "lb-controller", NAMESPACE, SERVICE_ACCOUNT, role)
    return b.resources
