"""What GuardDuty Runtime Monitoring adds to a VPC, made in the local cloud as GuardDuty makes it.

With Runtime Monitoring's automated agent on, GuardDuty adds to every VPC of the account a
security group ``GuardDutyManagedSecurityGroup-<vpc id>`` (HTTPS in from the VPC's CIDR) and an
interface VPC endpoint for ``com.amazonaws.<region>.guardduty-data`` in one subnet of each zone,
both tagged ``GuardDutyManaged: true`` ("Managing the security agent automatically for Amazon
EKS" and "Prerequisites for Runtime Monitoring", Amazon GuardDuty User Guide,
https://docs.aws.amazon.com/guardduty/latest/ug/runtime-monitoring-prerequisites.html). Neither
carries a tag of weft's, and while they exist the VPC's subnets and the VPC cannot be deleted
(:mod:`weft.local.moto_endpoints`).

:func:`add_runtime_monitoring` makes them with plain EC2 calls (a test's boto3 client on the
local cloud), as GuardDuty would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MANAGED_TAG = "GuardDutyManaged"
GROUP_PREFIX = "GuardDutyManagedSecurityGroup-"


@dataclass(frozen=True)
class RuntimeMonitoring:
    """What GuardDuty added to one VPC."""

    endpoint_id: str
    group_id: str
    subnet_ids: tuple[str, ...]


def add_runtime_monitoring(ec2: Any, vpc_id: str) -> RuntimeMonitoring:
    """Add GuardDuty's endpoint and group to ``vpc_id`` with the EC2 client ``ec2``."""
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    region = ec2.meta.region_name
    tags = [{"Key": MANAGED_TAG, "Value": "true"}]
    group = ec2.create_security_group(
        GroupName=GROUP_PREFIX + vpc_id,
        Description=f"Associated with VPC-{vpc_id} and tagged as GuardDutyManaged",
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": vpc["CidrBlock"]}],
            }
        ],
    )
    one_per_zone: dict[str, str] = {}
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    for subnet in sorted(subnets, key=lambda s: s["SubnetId"]):
        one_per_zone.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
    endpoint = ec2.create_vpc_endpoint(
        VpcEndpointType="Interface",
        VpcId=vpc_id,
        ServiceName=f"com.amazonaws.{region}.guardduty-data",
        SubnetIds=sorted(one_per_zone.values()),
        SecurityGroupIds=[group],
        PrivateDnsEnabled=True,
        TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": tags}],
    )["VpcEndpoint"]["VpcEndpointId"]
    return RuntimeMonitoring(endpoint, group, tuple(sorted(one_per_zone.values())))
