"""A role session's requests judged by its policies' conditions, as AWS judges them.

The roles carry weft's own policies (the Load Balancer Controller's, the Cluster Autoscaler's)
or the AWS managed one the EBS CSI driver's role carries, and act through boto3 against the
local cloud with their session's credentials (see :mod:`weft.local.iam_conditions`).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from weft.model.cluster_autoscaler import autoscaler_policy
from weft.model.lb_controller import controller_policy

REGION = "us-east-2"
ACCOUNT = "123456789012"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
pytestmark = [pytest.mark.integration]


def _admin(url: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


def _session(
    url: str, service: str, *, inline: dict[str, Any] | None = None, managed: str | None = None
) -> Any:
    """A client of ``service`` signed by a session of a new role with the policy given."""
    name = f"cond-{uuid.uuid4().hex[:8]}"
    iam = _admin(url, "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    if inline is not None:
        iam.put_role_policy(RoleName=name, PolicyName=name, PolicyDocument=json.dumps(inline))
    if managed is not None:
        iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    c = _admin(url, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}", RoleSessionName=name
    )["Credentials"]
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def _denied(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "AccessDenied", caught.value.response
    return str(caught.value.response["Error"]["Message"])


def _subnets(url: str) -> list[str]:
    ec2 = _admin(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.52.0.0/16")["Vpc"]["VpcId"]
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.52.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-2a", "us-east-2b"))
    ]


def test_the_lb_controller_may_touch_only_load_balancers_a_controller_made(
    clean_cloud: str,
) -> None:
    subnets = _subnets(clean_cloud)
    admin = _admin(clean_cloud, "elbv2")
    ours = admin.create_load_balancer(
        Name="ours", Subnets=subnets, Tags=[{"Key": CLUSTER_TAG, "Value": "demo"}]
    )["LoadBalancers"][0]["LoadBalancerArn"]
    foreign = admin.create_load_balancer(Name="foreign", Subnets=subnets)["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    elbv2 = _session(clean_cloud, "elbv2", inline=controller_policy())
    # its own load balancer: re-tag it (not the cluster tag), change it
    elbv2.add_tags(ResourceArns=[ours], Tags=[{"Key": "team", "Value": "shop"}])
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=ours, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "30"}]
    )
    # a load balancer no controller made: no tagging, no change, no deletion
    message = _denied(
        lambda: elbv2.add_tags(ResourceArns=[foreign], Tags=[{"Key": "team", "Value": "x"}])
    )
    assert "elasticloadbalancing:AddTags" in message
    _denied(lambda: elbv2.delete_load_balancer(LoadBalancerArn=foreign))
    # nor claim one for a cluster, or move its own to another cluster
    _denied(
        lambda: elbv2.add_tags(ResourceArns=[foreign], Tags=[{"Key": CLUSTER_TAG, "Value": "demo"}])
    )
    _denied(
        lambda: elbv2.add_tags(ResourceArns=[ours], Tags=[{"Key": CLUSTER_TAG, "Value": "other"}])
    )
    # it creates only load balancers tagged for a cluster
    _denied(lambda: elbv2.create_load_balancer(Name="untagged", Subnets=subnets))
    elbv2.create_load_balancer(
        Name="tagged", Subnets=subnets, Tags=[{"Key": CLUSTER_TAG, "Value": "demo"}]
    )
    elbv2.delete_load_balancer(LoadBalancerArn=ours)


def test_the_autoscaler_resizes_only_groups_tagged_owned_by_its_cluster(clean_cloud: str) -> None:
    subnets = _subnets(clean_cloud)
    ec2 = _admin(clean_cloud, "ec2")
    ec2.create_launch_template(
        LaunchTemplateName="nodes",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.medium"},
    )
    admin = _admin(clean_cloud, "autoscaling")

    def group(name: str, tags: dict[str, str]) -> None:
        admin.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate={"LaunchTemplateName": "nodes"},
            MinSize=0,
            MaxSize=3,
            DesiredCapacity=0,
            VPCZoneIdentifier=",".join(subnets),
            Tags=[
                {
                    "Key": k,
                    "Value": v,
                    "PropagateAtLaunch": False,
                    "ResourceId": name,
                    "ResourceType": "auto-scaling-group",
                }
                for k, v in tags.items()
            ],
        )

    group("owned", {"k8s.io/cluster-autoscaler/demo": "owned"})
    group("unowned", {})
    group("theirs", {"k8s.io/cluster-autoscaler/other": "owned"})
    autoscaling = _session(clean_cloud, "autoscaling", inline=autoscaler_policy("demo"))
    autoscaling.set_desired_capacity(AutoScalingGroupName="owned", DesiredCapacity=1)
    message = _denied(
        lambda: autoscaling.set_desired_capacity(AutoScalingGroupName="unowned", DesiredCapacity=1)
    )
    assert "autoscaling:SetDesiredCapacity" in message
    _denied(
        lambda: autoscaling.set_desired_capacity(AutoScalingGroupName="theirs", DesiredCapacity=1)
    )
    sizes = {
        g["AutoScalingGroupName"]: g["DesiredCapacity"]
        for g in admin.describe_auto_scaling_groups()["AutoScalingGroups"]
    }
    assert sizes == {"owned": 1, "unowned": 0, "theirs": 0}


def test_the_ebs_csi_driver_creates_and_deletes_only_volumes_tagged_as_its_policy_requires(
    clean_cloud: str,
) -> None:
    ec2 = _session(
        clean_cloud,
        "ec2",
        managed="arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    )
    # untagged: no statement of AmazonEBSCSIDriverPolicy allows it
    message = _denied(
        lambda: ec2.create_volume(AvailabilityZone="us-east-2a", Size=1, VolumeType="gp3")
    )
    assert "ec2:CreateVolume" in message
    made = ec2.create_volume(
        AvailabilityZone="us-east-2a",
        Size=1,
        VolumeType="gp3",
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": [
                    {"Key": "ebs.csi.aws.com/cluster", "Value": "true"},
                    {"Key": "CSIVolumeName", "Value": "pvc-1"},
                ],
            }
        ],
    )["VolumeId"]
    # a volume the driver did not make: not deleted
    other = _admin(clean_cloud, "ec2").create_volume(AvailabilityZone="us-east-2a", Size=1)[
        "VolumeId"
    ]
    _denied(lambda: ec2.delete_volume(VolumeId=other))
    ec2.delete_volume(VolumeId=made)
