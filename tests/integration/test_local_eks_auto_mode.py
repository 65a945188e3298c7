"""EKS Auto Mode on the local cloud's clusters (weft.local.moto_eks.auto_mode), called with plain
boto3 over HTTP: computeConfig, storageConfig and elasticLoadBalancing as the EKS API reference
shapes them, and EKS's refusals."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from .helpers import CLUSTER_VERSION

pytestmark = pytest.mark.integration

REGION = "us-east-2"
CLUSTER_ROLE = "arn:aws:iam::123456789012:role/weft/test/cluster"
EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


@pytest.fixture
def eks(moto_url: str) -> Any:
    return client(moto_url, "eks")


@pytest.fixture
def subnets(moto_url: str) -> list[str]:
    ec2 = client(moto_url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.78.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-2a", "us-east-2b"), start=1)
    ]


def make_role(moto_url: str) -> str:
    iam = client(moto_url, "iam")
    name = f"auto-nodes-{uuid.uuid4().hex[:8]}"
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST))[
        "Role"
    ]["Arn"]
    return arn


@pytest.fixture
def node_role(moto_url: str) -> str:
    return make_role(moto_url)


def auto(
    node_role: str | None, *, compute: bool = True, storage: bool = True, elb: bool = True
) -> dict[str, Any]:
    config: dict[str, Any] = {"enabled": compute}
    if compute and node_role:
        config.update(nodePools=["general-purpose", "system"], nodeRoleArn=node_role)
    return {
        "computeConfig": config,
        "storageConfig": {"blockStorage": {"enabled": storage}},
        "kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": elb}},
    }


def create(eks: Any, subnets: list[str], **kwargs: Any) -> str:
    name = f"a{uuid.uuid4().hex[:10]}"
    eks.create_cluster(
        name=name,
        version=CLUSTER_VERSION,
        roleArn=CLUSTER_ROLE,
        resourcesVpcConfig={"subnetIds": subnets},
        **kwargs,
    )
    return name


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_an_auto_mode_cluster_reports_its_three_capabilities(
    eks: Any, subnets: list[str], node_role: str
) -> None:
    name = create(eks, subnets, **auto(node_role))
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert cluster["computeConfig"] == {
        "enabled": True,
        "nodePools": ["general-purpose", "system"],
        "nodeRoleArn": node_role,
    }
    assert cluster["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}
    assert cluster["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == "172.20.0.0/16"
    eks.delete_cluster(name=name)


@pytest.mark.parametrize(
    "switches",
    [
        {"compute": True, "storage": False, "elb": True},
        {"compute": True, "storage": True, "elb": False},
        {"compute": False, "storage": True, "elb": True},
    ],
)
def test_the_three_capabilities_go_on_together_or_not_at_all(
    eks: Any, subnets: list[str], node_role: str, switches: dict[str, bool]
) -> None:
    before = set(eks.list_clusters()["clusters"])
    with pytest.raises(ClientError) as refused:
        create(eks, subnets, **auto(node_role, **switches))
    assert code(refused) == "InvalidParameterException"
    assert "fully enabled or fully disabled" in str(refused.value)
    assert set(eks.list_clusters()["clusters"]) == before  # nothing made


def test_compute_needs_an_existing_node_role_and_the_built_in_pools(
    eks: Any, subnets: list[str], node_role: str
) -> None:
    no_role = auto(None)
    no_role["computeConfig"]["nodePools"] = ["general-purpose"]
    with pytest.raises(ClientError) as refused:
        create(eks, subnets, **no_role)
    assert code(refused) == "InvalidParameterException"
    assert "nodeRoleArn must be provided" in str(refused.value)

    missing = auto("arn:aws:iam::123456789012:role/no-such-role")
    with pytest.raises(ClientError) as refused:
        create(eks, subnets, **missing)
    assert "does not exist" in str(refused.value)

    odd_pool = auto(node_role)
    odd_pool["computeConfig"]["nodePools"] = ["gpu"]
    with pytest.raises(ClientError) as refused:
        create(eks, subnets, **odd_pool)
    assert "general-purpose, system" in str(refused.value)


def test_auto_mode_is_turned_on_and_off_by_one_update(
    eks: Any, subnets: list[str], node_role: str, moto_url: str
) -> None:
    name = create(eks, subnets)
    assert not eks.describe_cluster(name=name)["cluster"].get("computeConfig", {}).get("enabled")

    # one capability alone: refused, nothing changes
    with pytest.raises(ClientError) as refused:
        eks.update_cluster_config(name=name, computeConfig=auto(node_role)["computeConfig"])
    assert "fully enabled or fully disabled" in str(refused.value)
    # with another kind of update: refused
    with pytest.raises(ClientError) as refused:
        eks.update_cluster_config(name=name, deletionProtection=True, **auto(node_role))
    assert "Only one type of update" in str(refused.value)

    update = eks.update_cluster_config(name=name, **auto(node_role))["update"]
    assert update["type"] == "AutoModeUpdate"
    assert {p["type"] for p in update["params"]} == {
        "ComputeConfig",
        "StorageConfig",
        "KubernetesNetworkConfig",
    }
    assert eks.describe_update(name=name, updateId=update["id"])["update"]["status"] == "Successful"
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert cluster["computeConfig"]["enabled"] is True
    assert cluster["storageConfig"]["blockStorage"]["enabled"] is True

    # the node role is fixed once compute is on
    other = make_role(moto_url)
    with pytest.raises(ClientError) as refused:
        eks.update_cluster_config(name=name, **auto(other))
    assert "cannot be changed" in str(refused.value)

    eks.update_cluster_config(name=name, **auto(None, compute=False, storage=False, elb=False))
    cluster = eks.describe_cluster(name=name)["cluster"]
    assert cluster["computeConfig"] == {"enabled": False}
    assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": False}
    eks.delete_cluster(name=name)
