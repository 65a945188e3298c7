"""The local EKS's add-on catalogue as EKS answers it: metrics-server as a community add-on with
its Kubernetes compatibility, and configurations checked against the add-on's schema."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.helpers import CLUSTER_VERSION

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
