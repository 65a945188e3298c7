"""Teardown on an account with GuardDuty Runtime Monitoring: GuardDuty's endpoint and group in
the fabric's VPC (made as GuardDuty makes them: weft.local.guardduty) are listed by the leftover
report and removed by ``down``, which otherwise could delete neither the subnets nor the VPC."""

from __future__ import annotations

import pytest

from weft.local.guardduty import add_runtime_monitoring
from weft.ops import leftovers
from weft.ops.plan import inventory

from .helpers import down, fabric_text, target_for, up

pytestmark = pytest.mark.integration


def test_down_removes_guardduty_endpoint_and_group_and_leaves_nothing(clean_cloud: str) -> None:
    text = fabric_text("guarded", zones=2, nat="none", layout="public")
    target = target_for(text)
    assert up(target).ok
    ec2 = target.session.client("ec2")
    vpc = inventory(target).by_address["vpc.main"].id
    made = add_runtime_monitoring(ec2, vpc)
    # someone's gateway endpoint in the fabric's VPC holds the VPC too
    s3 = ec2.create_vpc_endpoint(
        VpcEndpointType="Gateway", VpcId=vpc, ServiceName="com.amazonaws.us-east-2.s3"
    )["VpcEndpoint"]["VpcEndpointId"]

    listed = {(item.kind, item.id): item.why for item in leftovers.find(target)}
    assert "GuardDuty" in listed[("ec2_vpc_endpoint", made.endpoint_id)]
    assert ("ec2_vpc_endpoint", s3) in listed
    assert ("ec2_guardduty_security_group", made.group_id) in listed

    outcome = down(target)
    assert outcome.ok, outcome
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Vpcs"] == []
    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    assert {e["VpcEndpointId"] for e in endpoints if e["State"].lower() != "deleted"} == set()
    groups = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert made.group_id not in groups
    assert leftovers.find(target) == []
