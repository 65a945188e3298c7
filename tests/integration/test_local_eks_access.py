"""The local cloud's EKS access entries and access policies (weft.local.moto_eks.access), called
with plain boto3 over HTTP: the shapes botocore's model gives and the refusals EKS answers with
("Grant IAM users access to Kubernetes with EKS access entries", Amazon EKS User Guide)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.helpers import CLUSTER_VERSION

pytestmark = pytest.mark.integration

REGION = "us-east-2"
POLICY = "arn:aws:eks::aws:cluster-access-policy/"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}
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


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture
def eks(clean_cloud: str) -> Any:
    return client(clean_cloud, "eks")


@pytest.fixture
def role(clean_cloud: str) -> str:
    iam = client(clean_cloud, "iam")
    name = f"dev-{uuid.uuid4().hex[:8]}"
    return str(
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    )


def make_cluster(url: str, mode: str | None) -> str:
    ec2 = client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-2a", "us-east-2b"), start=1)
    ]
    name = f"c{uuid.uuid4().hex[:10]}"
    kwargs: dict[str, Any] = {}
    if mode:
        kwargs["accessConfig"] = {"authenticationMode": mode}
    client(url, "eks").create_cluster(
        name=name,
        version=CLUSTER_VERSION,
        roleArn="arn:aws:iam::123456789012:role/cluster",
        resourcesVpcConfig={"subnetIds": subnets},
        **kwargs,
    )
    return name


@pytest.fixture
def api_cluster(clean_cloud: str) -> Iterator[str]:
    yield make_cluster(clean_cloud, "API")


def test_the_api_default_is_config_map_where_entries_are_refused(
    clean_cloud: str, eks: Any, role: str
) -> None:
    name = make_cluster(clean_cloud, None)
    config = eks.describe_cluster(name=name)["cluster"]["accessConfig"]
    assert config == {
        "authenticationMode": "CONFIG_MAP",
        "bootstrapClusterCreatorAdminPermissions": True,
    }
    with pytest.raises(ClientError) as exc:
        eks.create_access_entry(clusterName=name, principalArn=role)
    assert code(exc) == "InvalidRequestException"


def test_the_creator_gets_cluster_admin_in_api_mode(eks: Any, api_cluster: str) -> None:
    creators = eks.list_access_entries(clusterName=api_cluster)["accessEntries"]
    assert len(creators) == 1
    policies = eks.list_associated_access_policies(
        clusterName=api_cluster, principalArn=creators[0]
    )["associatedAccessPolicies"]
    assert [(p["policyArn"], p["accessScope"]["type"]) for p in policies] == [
        (POLICY + "AmazonEKSClusterAdminPolicy", "cluster")
    ]


def test_entries_and_policies_round_trip(eks: Any, api_cluster: str, role: str) -> None:
    made = eks.create_access_entry(
        clusterName=api_cluster, principalArn=role, tags={"weft:fabric": "f"}
    )["accessEntry"]
    assert made["type"] == "STANDARD" and made["principalArn"] == role
    assert eks.describe_access_entry(clusterName=api_cluster, principalArn=role)["accessEntry"][
        "tags"
    ] == {"weft:fabric": "f"}
    eks.associate_access_policy(
        clusterName=api_cluster,
        principalArn=role,
        policyArn=POLICY + "AmazonEKSViewPolicy",
        accessScope={"type": "namespace", "namespaces": ["web"]},
    )
    # associating it again replaces the scope
    eks.associate_access_policy(
        clusterName=api_cluster,
        principalArn=role,
        policyArn=POLICY + "AmazonEKSViewPolicy",
        accessScope={"type": "namespace", "namespaces": ["web", "jobs"]},
    )
    listed = eks.list_associated_access_policies(clusterName=api_cluster, principalArn=role)
    assert [p["accessScope"]["namespaces"] for p in listed["associatedAccessPolicies"]] == [
        ["web", "jobs"]
    ]
    viewers = eks.list_access_entries(
        clusterName=api_cluster, associatedPolicyArn=POLICY + "AmazonEKSViewPolicy"
    )["accessEntries"]
    assert viewers == [role]
    eks.disassociate_access_policy(
        clusterName=api_cluster, principalArn=role, policyArn=POLICY + "AmazonEKSViewPolicy"
    )
    eks.delete_access_entry(clusterName=api_cluster, principalArn=role)
    with pytest.raises(ClientError) as exc:
        eks.describe_access_entry(clusterName=api_cluster, principalArn=role)
    assert code(exc) == "ResourceNotFoundException"
    names = [p["name"] for p in eks.list_access_policies()["accessPolicies"]]
    assert {"AmazonEKSClusterAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"} <= set(
        names
    )


def test_eks_refusals(eks: Any, api_cluster: str, role: str) -> None:
    unknown = "arn:aws:iam::123456789012:role/nobody"
    with pytest.raises(ClientError) as exc:
        eks.create_access_entry(clusterName=api_cluster, principalArn=unknown)
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        eks.create_access_entry(
            clusterName=api_cluster, principalArn=role, kubernetesGroups=["system:masters"]
        )
    assert code(exc) == "InvalidParameterException"
    eks.create_access_entry(clusterName=api_cluster, principalArn=role)
    with pytest.raises(ClientError) as exc:
        eks.create_access_entry(clusterName=api_cluster, principalArn=role)
    assert code(exc) == "ResourceInUseException"
    with pytest.raises(ClientError) as exc:  # a namespace scope on a cluster-wide association
        eks.associate_access_policy(
            clusterName=api_cluster,
            principalArn=role,
            policyArn=POLICY + "AmazonEKSEditPolicy",
            accessScope={"type": "cluster", "namespaces": ["web"]},
        )
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        eks.associate_access_policy(
            clusterName=api_cluster,
            principalArn=role,
            policyArn="arn:aws:iam::aws:policy/AdministratorAccess",
            accessScope={"type": "cluster"},
        )
    assert code(exc) == "InvalidParameterException"


def test_the_mode_moves_only_forward(clean_cloud: str, eks: Any) -> None:
    name = make_cluster(clean_cloud, "API_AND_CONFIG_MAP")
    update = eks.update_cluster_config(name=name, accessConfig={"authenticationMode": "API"})
    assert update["update"]["type"] == "AccessConfigUpdate"
    assert eks.describe_cluster(name=name)["cluster"]["accessConfig"]["authenticationMode"] == (
        "API"
    )
    with pytest.raises(ClientError) as exc:
        eks.update_cluster_config(
            name=name, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"}
        )
    assert code(exc) == "InvalidParameterException"
