"""GuardDuty Runtime Monitoring's endpoint and group in the local cloud (weft.local.guardduty),
and what they hold, as on AWS (weft.local.moto_endpoints): the subnets, the group and the VPC
cannot be deleted until the endpoint is."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from weft.local.guardduty import GROUP_PREFIX, add_runtime_monitoring

pytestmark = pytest.mark.integration

REGION = "us-east-2"


def ec2_client(url: str) -> Any:
    return boto3.client(
        "ec2",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="weft-local",
        aws_secret_access_key="weft-local-secret",
    )


def refused(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return str(exc.value.response["Error"]["Code"])


def test_guardduty_endpoint_holds_its_subnets_group_and_vpc(clean_cloud: str) -> None:
    ec2 = ec2_client(clean_cloud)
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    # GuardDuty's endpoint has private DNS, which needs both DNS attributes (a default VPC and
    # weft's have them; GuardDuty's prerequisites ask for them)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.61.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(("us-east-2a", "us-east-2b", "us-east-2a"), start=1)
    ]
    made = add_runtime_monitoring(ec2, vpc)
    assert len(made.subnet_ids) == 2  # one per zone
    endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[made.endpoint_id])["VpcEndpoints"][0]
    assert endpoint["ServiceName"] == f"com.amazonaws.{REGION}.guardduty-data"
    group = ec2.describe_security_groups(GroupIds=[made.group_id])["SecurityGroups"][0]
    assert group["GroupName"] == GROUP_PREFIX + vpc
    interfaces = ec2.describe_network_interfaces(
        NetworkInterfaceIds=endpoint["NetworkInterfaceIds"]
    )["NetworkInterfaces"]
    assert {g["GroupId"] for eni in interfaces for g in eni["Groups"]} == {made.group_id}
    assert {eni["InterfaceType"] for eni in interfaces} == {"vpc_endpoint"}

    held = made.subnet_ids[0]
    assert refused(ec2.delete_subnet, SubnetId=held) == "DependencyViolation"
    assert refused(ec2.delete_security_group, GroupId=made.group_id) == "DependencyViolation"
    for subnet in subnets:
        if subnet not in made.subnet_ids:
            ec2.delete_subnet(SubnetId=subnet)

    ec2.delete_vpc_endpoints(VpcEndpointIds=[made.endpoint_id])
    for subnet in made.subnet_ids:
        ec2.delete_subnet(SubnetId=subnet)
    # the VPC keeps GuardDuty's group until it goes
    assert refused(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    ec2.delete_security_group(GroupId=made.group_id)
    ec2.delete_vpc(VpcId=vpc)


def test_a_vpc_with_a_gateway_endpoint_cannot_be_deleted(clean_cloud: str) -> None:
    ec2 = ec2_client(clean_cloud)
    vpc = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcEndpointType="Gateway", VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3"
    )["VpcEndpoint"]["VpcEndpointId"]
    assert refused(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint])
    ec2.delete_vpc(VpcId=vpc)
