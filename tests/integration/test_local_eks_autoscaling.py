"""A managed node group's Auto Scaling group in the local cloud (weft.local.moto_eks.asg), called
with plain boto3 over HTTP, as the Cluster Autoscaler and EKS see it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from .helpers import CLUSTER_VERSION

pytestmark = pytest.mark.integration

REGION = "us-east-2"
ROLE = "arn:aws:iam::123456789012:role/weft/test/cluster"


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


@pytest.fixture
def group(clean_cloud: str) -> dict[str, Any]:
    """A cluster with a node group of 1 (min 1, max 3) in two subnets."""
    ec2, eks = client(clean_cloud, "ec2"), client(clean_cloud, "eks")
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.78.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-2a", "us-east-2b"), start=1)
    ]
    cluster = f"c{uuid.uuid4().hex[:10]}"
    eks.create_cluster(
        name=cluster,
        version=CLUSTER_VERSION,
        roleArn=ROLE,
        resourcesVpcConfig={"subnetIds": subnets},
    )
    ng = eks.create_nodegroup(
        clusterName=cluster,
        nodegroupName="general",
        nodeRole=ROLE,
        subnets=subnets,
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 1},
    )["nodegroup"]
    return {"cluster": cluster, "nodegroup": ng, "subnets": subnets, "url": clean_cloud}


def test_a_node_group_has_an_auto_scaling_group_tagged_for_discovery(
    group: dict[str, Any],
) -> None:
    autoscaling = client(group["url"], "autoscaling")
    name = group["nodegroup"]["resources"]["autoScalingGroups"][0]["name"]
    assert name.startswith("eks-general-")
    found = autoscaling.describe_auto_scaling_groups(
        Filters=[
            {"Name": "tag-key", "Values": ["k8s.io/cluster-autoscaler/enabled"]},
            {"Name": "tag-key", "Values": [f"k8s.io/cluster-autoscaler/{group['cluster']}"]},
        ]
    )["AutoScalingGroups"]
    assert [g["AutoScalingGroupName"] for g in found] == [name]
    asg = found[0]
    assert (asg["MinSize"], asg["MaxSize"], asg["DesiredCapacity"]) == (1, 3, 1)
    tags = {t["Key"]: t["Value"] for t in asg["Tags"]}
    assert tags == {
        "eks:cluster-name": group["cluster"],
        "eks:nodegroup-name": "general",
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{group['cluster']}": "owned",
        f"kubernetes.io/cluster/{group['cluster']}": "owned",
    }
    assert set(asg["VPCZoneIdentifier"].split(",")) == set(group["subnets"])
    assert len(asg["Instances"]) == 1  # the node group's node


def test_the_node_group_follows_the_groups_desired_capacity_within_its_bounds(
    group: dict[str, Any], local_state_dir: Path
) -> None:
    autoscaling, eks = client(group["url"], "autoscaling"), client(group["url"], "eks")
    name = group["nodegroup"]["resources"]["autoScalingGroups"][0]["name"]
    autoscaling.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=3)
    ng = eks.describe_nodegroup(clusterName=group["cluster"], nodegroupName="general")
    assert ng["nodegroup"]["scalingConfig"]["desiredSize"] == 3
    nodes = json.loads((local_state_dir / "local" / "nodes.json").read_text())
    assert len([n for n in nodes if n["labels"]["weft.local/cluster"] == group["cluster"]]) == 3
    asg = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    assert len(asg["AutoScalingGroups"][0]["Instances"]) == 3

    for refused, words in ((4, "above max value 3"), (0, "below min value 1")):
        with pytest.raises(ClientError) as err:
            autoscaling.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=refused)
        assert err.value.response["Error"]["Code"] == "ValidationError"
        assert words in err.value.response["Error"]["Message"]
    ng = eks.describe_nodegroup(clusterName=group["cluster"], nodegroupName="general")
    assert ng["nodegroup"]["scalingConfig"]["desiredSize"] == 3

    autoscaling.set_desired_capacity(AutoScalingGroupName=name, DesiredCapacity=1)
    ng = eks.describe_nodegroup(clusterName=group["cluster"], nodegroupName="general")
    assert ng["nodegroup"]["scalingConfig"]["desiredSize"] == 1


def test_update_nodegroup_config_sets_the_groups_bounds_and_delete_removes_it(
    group: dict[str, Any],
) -> None:
    autoscaling, eks = client(group["url"], "autoscaling"), client(group["url"], "eks")
    name = group["nodegroup"]["resources"]["autoScalingGroups"][0]["name"]
    eks.update_nodegroup_config(
        clusterName=group["cluster"],
        nodegroupName="general",
        scalingConfig={"minSize": 2, "maxSize": 5, "desiredSize": 2},
    )
    asg = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    g = asg["AutoScalingGroups"][0]
    assert (g["MinSize"], g["MaxSize"], g["DesiredCapacity"]) == (2, 5, 2)
    eks.delete_nodegroup(clusterName=group["cluster"], nodegroupName="general")
    assert (
        autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        == []
    )
