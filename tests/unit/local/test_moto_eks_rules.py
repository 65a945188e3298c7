"""The local EKS's own rules (pure): cluster settings, updates, and the nodes of node groups."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from weft.local.moto_eks import ami_type, backend, cluster_config, zones
from weft.local.moto_eks.nodegroup import nodes_of
from weft.local.moto_eks.update import version_step_problem


def test_vpc_defaults_fill_only_what_is_missing() -> None:
    assert cluster_config.with_vpc_defaults(None) == {
        "subnetIds": [],
        "securityGroupIds": [],
        "endpointPublicAccess": True,
        "endpointPrivateAccess": False,
        "publicAccessCidrs": ["0.0.0.0/0"],
    }
    given = {"subnetIds": ["subnet-1"], "endpointPrivateAccess": True}
    filled = cluster_config.with_vpc_defaults(given)
    assert filled["subnetIds"] == ["subnet-1"] and filled["endpointPrivateAccess"] is True
    assert given == {"subnetIds": ["subnet-1"], "endpointPrivateAccess": True}


def test_logging_is_described_enabled_first_in_eks_order() -> None:
    assert cluster_config.logging_state({"scheduler", "api"}) == {
        "clusterLogging": [
            {"types": ["api", "scheduler"], "enabled": True},
            {"types": ["audit", "authenticator", "controllerManager"], "enabled": False},
        ]
    }
    assert cluster_config.logging_state(set()) == {
        "clusterLogging": [{"types": list(cluster_config.LOG_TYPES), "enabled": False}]
    }


def test_a_logging_update_merges_into_the_current_setting() -> None:
    current = cluster_config.logging_state({"api", "audit"})
    request = {
        "clusterLogging": [
            {"types": ["scheduler"], "enabled": True},
            {"types": ["audit"], "enabled": False},
        ]
    }
    after = cluster_config.logging_after(current, request)
    assert cluster_config.enabled_logs(after) == {"api", "scheduler"}
    assert cluster_config.logging_update_params(request) == [
        {"type": "ClusterLogging", "value": json.dumps(request)}
    ]


def test_vpc_updates_are_typed_by_what_they_change() -> None:
    kind, params = cluster_config.vpc_update({"endpointPrivateAccess": True})
    assert kind == "EndpointAccessUpdate"
    assert params == [{"type": "EndpointPrivateAccess", "value": "true"}]
    kind, params = cluster_config.vpc_update(
        {"securityGroupIds": ["sg-1"], "publicAccessCidrs": ["10.0.0.0/8"]}
    )
    assert kind == "VpcConfigUpdate"
    assert params == [
        {"type": "PublicAccessCidrs", "value": '["10.0.0.0/8"]'},
        {"type": "SecurityGroups", "value": '["sg-1"]'},
    ]


@pytest.mark.parametrize(
    ("have", "want", "allowed"),
    [
        ("1.29", "1.30", True),
        ("1.29", "1.31", False),
        ("1.29", "1.29", False),
        ("1.30", "1.29", False),
        ("1.29", "2.0", False),
        ("1.29", "", False),
    ],
)
def test_cluster_versions_move_one_minor_at_a_time(have: str, want: str, allowed: bool) -> None:
    problem = version_step_problem(have, want)
    assert (problem is None) is allowed
    if problem:
        assert problem == f"Unsupported Kubernetes minor version update from {have} to {want}"


def test_an_update_concerns_the_cluster_or_the_one_named() -> None:
    of_cluster = {"id": "1", "_nodegroup": None, "_addon": None}
    of_group = {"id": "2", "_nodegroup": "ng", "_addon": None}
    of_addon = {"id": "3", "_nodegroup": None, "_addon": "coredns"}
    assert backend.concerns(of_cluster, None, None)
    assert backend.concerns(of_cluster, "", "")
    assert not backend.concerns(of_group, None, None)
    assert backend.concerns(of_group, "ng", None)
    assert not backend.concerns(of_group, "other", None)
    assert backend.concerns(of_addon, None, "coredns")
    assert not backend.concerns(of_addon, "ng", "coredns")
    assert backend.public({**of_group, "status": "Successful"}) == {
        "id": "2",
        "status": "Successful",
    }


def group(name: str, size: int, **attrs: Any) -> Any:
    base: dict[str, Any] = {
        "cluster_name": "shop",
        "nodegroup_name": name,
        "region": "us-east-2",
        "status": "ACTIVE",
        "scaling_config": {"desiredSize": size},
        "capacity_type": None,
        "instance_types": None,
        "labels": None,
        "taints": None,
    }
    return SimpleNamespace(**{**base, **attrs})


def test_each_node_group_gives_desired_size_nodes_labelled_as_eks_does() -> None:
    nodes = nodes_of(
        [
            group("system", 1, labels={"pool": "system"}),
            group("general", 4, instance_types=["t3.large"], capacity_type="SPOT"),
        ]
    )
    assert [n["name"] for n in nodes] == [
        "shop-general-1",
        "shop-general-2",
        "shop-general-3",
        "shop-general-4",
        "shop-system-1",
    ]
    zones = [n["labels"]["topology.kubernetes.io/zone"] for n in nodes[:4]]
    assert zones == ["us-east-2a", "us-east-2b", "us-east-2c", "us-east-2a"]
    assert nodes[0]["labels"] == {
        "eks.amazonaws.com/nodegroup": "general",
        "eks.amazonaws.com/capacityType": "SPOT",
        "node.kubernetes.io/instance-type": "t3.large",
        "topology.kubernetes.io/zone": "us-east-2a",
        "topology.kubernetes.io/region": "us-east-2",
        "weft.local/cluster": "shop",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/arch": "amd64",
    }
    system = nodes[-1]["labels"]
    assert system["pool"] == "system"
    assert system["eks.amazonaws.com/capacityType"] == "ON_DEMAND"
    assert system["node.kubernetes.io/instance-type"] == "m5.large"


def test_node_taints_are_spelled_as_kubernetes_spells_them() -> None:
    taints = [
        {"key": "dedicated", "value": "gpu", "effect": "NO_SCHEDULE"},
        {"key": "spot", "effect": "PREFER_NO_SCHEDULE"},
        {"key": "drain", "value": "", "effect": "NO_EXECUTE"},
    ]
    (node,) = nodes_of([group("gpu", 1, taints=taints)])
    assert node["taints"] == [
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},
        {"key": "spot", "effect": "PreferNoSchedule"},
        {"key": "drain", "effect": "NoExecute"},
    ]


def test_deleting_or_empty_node_groups_give_no_nodes() -> None:
    assert nodes_of([group("gone", 3, status="DELETING"), group("empty", 0)]) == []
    assert nodes_of([group("unsized", 2, scaling_config=None)]) == []


def test_nodes_of_an_arm64_node_group_are_labelled_arm64() -> None:
    (node,) = nodes_of([group("graviton", 1, ami_type="AL2023_ARM_64_STANDARD")])
    assert node["labels"]["kubernetes.io/arch"] == "arm64"
    assert node["labels"]["beta.kubernetes.io/arch"] == "arm64"
    (plain,) = nodes_of([group("plain", 1, ami_type="AL2023_x86_64_STANDARD")])
    assert plain["labels"]["kubernetes.io/arch"] == "amd64"


def test_a_node_group_without_ami_type_gets_al2023_from_kubernetes_1_30() -> None:
    assert ami_type.default_ami_type("1.30") == "AL2023_x86_64_STANDARD"
    assert ami_type.default_ami_type("1.35") == "AL2023_x86_64_STANDARD"
    assert ami_type.default_ami_type("1.29") == "AL2_x86_64"


@pytest.mark.parametrize(
    ("ami", "types", "refused"),
    [
        ("AL2023_x86_64_STANDARD", ["t4g.medium"], "[t4g.medium]"),
        (
            "AL2023_x86_64_STANDARD",
            ["m6i.large", "m7g.large", "c7g.large"],
            "[m7g.large, c7g.large]",
        ),
        ("AL2023_ARM_64_STANDARD", ["m6i.large"], "[m6i.large]"),
        ("AL2_x86_64_GPU", ["g5g.xlarge"], "[g5g.xlarge]"),
        ("AL2023_ARM_64_STANDARD", ["m7g.large", "t4g.medium"], None),
        ("AL2023_ARM_64_NVIDIA", ["g5g.xlarge"], None),
        ("BOTTLEROCKET_x86_64", ["m6i.large", "g5.xlarge"], None),
        ("CUSTOM", ["t4g.medium", "m6i.large"], None),  # the launch template's AMI: not checked
        ("AL2023_x86_64_STANDARD", ["zz9.huge"], None),  # not in EC2's data: not judged
    ],
)
def test_instance_types_must_match_the_ami_types_architecture(
    ami: str, types: list[str], refused: str | None
) -> None:
    message = ami_type.mismatch(ami, types)
    if refused is None:
        assert message is None
    else:
        assert message == f"{refused} is not a valid instance type for requested amiType {ami}"


def test_a_control_plane_subnet_in_a_zone_id_eks_does_not_support_is_refused() -> None:
    region = [("us-east-1a", "use1-az6"), ("us-east-1b", "use1-az1"), ("us-east-1e", "use1-az3")]
    found = zones.refusal("shop", "us-east-1", [region[0], region[2]], region)
    assert found == (
        "Cannot create cluster 'shop' because us-east-1e, the targeted availability zone, does "
        "not currently have sufficient capacity to support the cluster. Retry and choose from "
        "these availability zones: us-east-1a, us-east-1b",
        ["us-east-1a", "us-east-1b"],
    )
    assert zones.refusal("shop", "us-east-1", region[:2], region) is None
    # the id decides, not the name: another region's zones are not judged by it
    assert zones.refusal("shop", "us-east-2", [("us-east-2c", "use1-az3")], []) is None
    assert zones.refusal("w", "us-west-1", [("us-west-1b", "usw1-az2")], []) is not None
    assert zones.refusal("c", "ca-central-1", [("ca-central-1c", "cac1-az3")], []) is not None
