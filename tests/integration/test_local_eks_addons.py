"""The local EKS's add-on catalogue as EKS answers it: metrics-server as a community add-on with
its Kubernetes compatibility, and configurations checked against the add-on's schema."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.helpers import CLUSTER_VERSION, down, fabric_text, target_for, up
from weft.ops.plan import inventory

pytestmark = pytest.mark.integration

REGION = "us-east-2"


@pytest.fixture
def eks(clean_cloud: str) -> Any:
    return boto3.client(
        "eks",
        endpoint_url=clean_cloud,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


def test_metrics_server_is_offered_as_a_community_addon(eks: Any) -> None:
    found = eks.describe_addon_versions(
        addonName="metrics-server", kubernetesVersion=CLUSTER_VERSION
    )["addons"]
    assert [a["owner"] for a in found] == ["community"]
    defaults = [
        v["addonVersion"]
        for v in found[0]["addonVersions"]
        if any(c["defaultVersion"] for c in v["compatibilities"])
    ]
    assert len(defaults) == 1
    too_old = eks.describe_addon_versions(addonName="metrics-server", kubernetesVersion="1.24")
    assert too_old["addons"] == []


def test_a_configuration_outside_the_schema_is_refused(eks: Any) -> None:
    name = f"c{uuid.uuid4().hex[:8]}"
    eks.create_cluster(
        name=name,
        version=CLUSTER_VERSION,
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    with pytest.raises(ClientError) as exc:
        eks.create_addon(
            clusterName=name,
            addonName="coredns",
            configurationValues=json.dumps({"compute": "Fargate"}),
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    eks.create_addon(
        clusterName=name,
        addonName="coredns",
        configurationValues=json.dumps({"computeType": "Fargate"}),
    )
    eks.create_addon(clusterName=name, addonName="metrics-server")
    with pytest.raises(ClientError) as exc:
        eks.update_addon(
            clusterName=name, addonName="metrics-server", configurationValues='{"replica": 2}'
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"


def test_coredns_on_a_fargate_only_cluster_is_degraded_until_told_to_run_on_fargate(
    clean_cloud: str, eks: Any
) -> None:
    name = f"c{uuid.uuid4().hex[:8]}"
    eks.create_cluster(
        name=name,
        version=CLUSTER_VERSION,
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": []},
    )
    eks.create_fargate_profile(
        clusterName=name,
        fargateProfileName="system",
        podExecutionRoleArn="arn:aws:iam::123456789012:role/pods",
        selectors=[{"namespace": "kube-system"}],
    )
    eks.create_addon(clusterName=name, addonName="coredns")
    addon = eks.describe_addon(clusterName=name, addonName="coredns")["addon"]
    assert addon["status"] == "DEGRADED"
    assert addon["health"]["issues"][0]["code"] == "InsufficientNumberOfReplicas"
    eks.update_addon(
        clusterName=name,
        addonName="coredns",
        configurationValues=json.dumps({"computeType": "Fargate"}),
    )
    assert eks.describe_addon(clusterName=name, addonName="coredns")["addon"]["status"] == "ACTIVE"


def test_a_fargate_only_fabric_comes_up(clean_cloud: str) -> None:
    """weft configures coredns to run on Fargate: the add-on becomes ACTIVE and up completes."""
    text = fabric_text("fargateonly", zones=2) + (
        f'cluster:\n  version: "{CLUSTER_VERSION}"\n  endpoint: private\n'
        "  addons: {vpc-cni: {}, coredns: {}}\n"
        "fargate:\n  - {name: system, selectors: [{namespace: kube-system}]}\n"
    )
    target = target_for(text)
    outcome = up(target)
    assert outcome.ok, outcome
    coredns = inventory(target).by_address["eks_addon.coredns"]
    assert coredns.state == "active"
    assert dict(coredns.props["configuration"]) == {"computeType": "Fargate"}
    assert down(target).ok
