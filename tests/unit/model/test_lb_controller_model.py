"""The AWS Load Balancer Controller's IAM role: trust scoped to its ServiceAccount and STS's
audience, and weft's rendering of the controller's published policy."""

from __future__ import annotations

import json
from pathlib import Path

from weft.core.resource import Fmt, Ref, thaw
from weft.fabricfile import load_fabric, parse_fabric
from weft.model import desired_resources
from weft.model.lb_controller import CONTROLLER_POLICY, controller_policy, needs_controller

from ...integration.helpers import CLUSTER_VERSION

PRODUCTION = Path(__file__).parents[1] / "fabricfile" / "good" / "production.yaml"


def _roles(fabric: object) -> dict[str, object]:
    res = desired_resources(fabric, account_id="123456789012", zones=fabric.zone_names())  # type: ignore[attr-defined]
    return {r.address: r for r in res if r.kind == "iam_role"}


def test_the_controller_role_trusts_only_its_service_account_with_sts_audience() -> None:
    role = _roles(load_fabric(PRODUCTION))["iam_role.lb-controller"]
    statement = role.props["assume_role_policy"]["Statement"]  # type: ignore[attr-defined]
    assert len(statement) == 1
    assert statement[0]["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement[0]["Principal"] == {"Federated": Ref("oidc_provider.cluster", "arn")}
    issuer = Ref("eks_cluster.main", "oidc_issuer_host")
    assert statement[0]["Condition"] == {
        "StringEquals": {
            Fmt(
                "{0}:sub", issuer
            ): "system:serviceaccount:kube-system:aws-load-balancer-controller",
            Fmt("{0}:aud", issuer): "sts.amazonaws.com",
        }
    }
    assert list(role.props["managed_policies"]) == []  # type: ignore[attr-defined]
    inline = thaw(role.props["inline_policies"])  # type: ignore[attr-defined]
    assert inline == {CONTROLLER_POLICY: controller_policy()}


def test_the_policy_creates_only_tagged_resources_and_fits_an_inline_policy() -> None:
    policy = controller_policy()
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert len(statements) == 16
    create = statements["CreateTagged"]
    assert create["Action"] == [
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateTargetGroup",
    ]
    assert create["Condition"] == {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}
    manage = statements["ManageOwnLoadBalancers"]
    assert "elasticloadbalancing:DeleteLoadBalancer" in manage["Action"]
    assert manage["Condition"] == {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    assert "iam:AWSServiceName" in json.dumps(statements["ServiceLinkedRole"])
    # IAM's limit for a role's inline policies is 10,240 characters, whitespace aside
    assert len(json.dumps(policy, separators=(",", ":"))) < 10_240
    china = json.dumps(controller_policy("aws-cn"))
    assert '"arn:aws:' not in china and '"arn:aws-cn:elasticloadbalancing' in china


def test_only_a_cluster_with_nodes_gets_the_controller() -> None:
    base = "name: lbc\nregion: us-east-1\nnetwork: {cidr: 10.0.0.0/16, zones: 2}\n"
    assert not needs_controller(parse_fabric(base, "f.yaml"))
    cluster = f'cluster: {{version: "{CLUSTER_VERSION}", endpoint: private}}\n'
    bare = parse_fabric(base + cluster, "f.yaml")
    assert not needs_controller(bare)
    assert "iam_role.lb-controller" not in _roles(bare)
    groups = (
        base
        + cluster
        + "nodegroups:\n  - {name: general, instance_types: [m6i.large], min: 1, max: 2}\n"
    )
    assert needs_controller(parse_fabric(groups, "f.yaml"))
