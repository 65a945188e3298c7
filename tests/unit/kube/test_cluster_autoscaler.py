"""weft's rendering of the Cluster Autoscaler, its IAM policy, and how the local simulator reads
the rendering (the simulator takes only what the Deployment says)."""

from __future__ import annotations

from typing import Any

import pytest

from weft.fabricfile import parse_fabric
from weft.kube import cluster_autoscaler as cas
from weft.local.kube.autoscaler_sim import autoscaler_of
from weft.model.cluster_autoscaler import (
    autoscaler_policy,
    cluster_autoscaler_resources,
    needs_autoscaler,
)

ROLE = "arn:aws:iam::123456789012:role/weft/shop/weft-shop-cluster-autoscaler"


def settings(version: str = "1.33") -> cas.Settings:
    return cas.Settings(
        cluster="shop", region="eu-west-1", role_arn=ROLE, kubernetes_version=version
    )


def _by(objs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objs}


def test_the_objects_of_the_autoscaler() -> None:
    objs = _by(cas.objects(settings(), "policy/v1"))
    assert set(objs) == {
        ("ServiceAccount", "cluster-autoscaler"),
        ("ClusterRole", "cluster-autoscaler"),
        ("ClusterRoleBinding", "cluster-autoscaler"),
        ("Role", "cluster-autoscaler"),
        ("RoleBinding", "cluster-autoscaler"),
        ("Deployment", "cluster-autoscaler"),
        ("PodDisruptionBudget", "cluster-autoscaler"),
    }
    assert all(o["metadata"].get("namespace") in (None, "kube-system") for o in objs.values())
    sa = objs[("ServiceAccount", "cluster-autoscaler")]
    assert sa["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": ROLE}
    rules = objs[("ClusterRole", "cluster-autoscaler")]["rules"]
    assert {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]} in rules
    assert any(r["resources"] == ["nodes"] and "update" in r["verbs"] for r in rules)


def test_the_deployment_is_told_its_cloud_discovery_and_region() -> None:
    dep = _by(cas.objects(settings()))[("Deployment", "cluster-autoscaler")]
    pod = dep["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.0"
    args = container["args"]
    assert "--cloud-provider=aws" in args
    assert (
        "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,"
        "k8s.io/cluster-autoscaler/shop"
    ) in args
    assert "--balance-similar-node-groups" in args
    assert "--skip-nodes-with-system-pods=false" in args
    assert {"name": "AWS_REGION", "value": "eu-west-1"} in container["env"]
    assert pod["serviceAccountName"] == "cluster-autoscaler"
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    annotations = dep["spec"]["template"]["metadata"]["annotations"]
    assert annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"] == "false"


@pytest.mark.parametrize(
    ("version", "image"),
    [("1.28", "v1.28.0"), ("1.33.4", "v1.33.0"), ("1.36", "v1.36.0")],
)
def test_the_image_follows_the_cluster_s_minor(version: str, image: str) -> None:
    assert cas.image_for(version).endswith(f":{image}")


@pytest.mark.parametrize("version", ["1.27", "1.37", "2.0", "", "latest"])
def test_a_version_with_no_pinned_autoscaler_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match="no Cluster Autoscaler is pinned"):
        cas.objects(settings(version))


def test_the_policy_scales_only_the_cluster_s_own_groups() -> None:
    statements = {s["Sid"]: s for s in autoscaler_policy("shop")["Statement"]}
    scale = statements["ScaleOwnedGroups"]
    assert scale["Action"] == [
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
    ]
    assert scale["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/shop": "owned"}
    }
    describe = statements["Describe"]["Action"]
    assert all(":Describe" in a or ":Get" in a for a in describe)
    nodegroups = statements["DescribeNodegroups"]
    assert nodegroups["Resource"] == "arn:aws:eks:*:*:nodegroup/shop/*/*"
    assert set(statements) == {"Describe", "DescribeNodegroups", "ScaleOwnedGroups"}


BASE = """\
name: shop
region: eu-west-1
provider: local
network: {cidr: 10.60.0.0/16, zones: 2}
cluster: {api_cidrs: [203.0.113.0/24]}
"""


def test_only_a_cluster_with_node_groups_gets_the_autoscaler() -> None:
    groups = parse_fabric(
        BASE + "nodegroups:\n  - {name: general, instance_types: [m6i.large], min: 1, max: 3}\n",
        "f.yaml",
    )
    assert needs_autoscaler(groups)
    (role,) = cluster_autoscaler_resources(groups)
    assert role.address == "iam_role.cluster-autoscaler"
    profile = "{name: apps, selectors: [{namespace: shop}, {namespace: kube-system}]}"
    fargate = parse_fabric(BASE + f"fargate:\n  - {profile}\n", "f.yaml")
    assert not needs_autoscaler(fargate)
    assert cluster_autoscaler_resources(fargate) == []


def test_the_simulator_reads_the_rendered_deployment() -> None:
    dep = _by(cas.objects(settings()))[("Deployment", "cluster-autoscaler")]
    assert autoscaler_of(dep, "us-east-1") is None  # not available yet
    dep["status"] = {"availableReplicas": 1}
    found = autoscaler_of(dep, "us-east-1")
    assert found is not None
    assert (found.cluster, found.region, found.service_account) == (
        "shop",
        "eu-west-1",
        "cluster-autoscaler",
    )
    assert found.tags == (
        ("k8s.io/cluster-autoscaler/enabled", None),
        ("k8s.io/cluster-autoscaler/shop", None),
    )
    container = dep["spec"]["template"]["spec"]["containers"][0]
    container["args"] = [a for a in container["args"] if a != "--cloud-provider=aws"]
    assert autoscaler_of(dep, "us-east-1") is None
