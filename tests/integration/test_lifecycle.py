"""Whole lifecycles against the local cloud (a moto server over HTTP on 127.0.0.1)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from weft.core.plan import Action
from weft.errors import GuardError, StalePlan
from weft.fabricfile import parse_fabric
from weft.ops import apply, leftovers
from weft.ops.plan import inventory, make_plan
from weft.ops.run import Runner
from weft.ops.target import connect

from .helpers import EventLog, cloud_counts, down, fabric_text, target_for, up

pytestmark = pytest.mark.integration

EXPECTED_3_ZONES_SINGLE_NAT = {
    "vpc": 1,
    "subnet": 6,
    "internet_gateway": 1,
    "route_table": 4,
    "eip": 1,
    "nat_gateway": 1,
}


def test_up_plan_is_empty_down_leaves_nothing(clean_cloud):
    target = target_for(fabric_text())
    first = make_plan(target)
    assert all(c.action is Action.CREATE for c in first.changes)
    outcome = up(target)
    assert outcome.ok, [str(r.error) for r in outcome.result.failed]
    assert cloud_counts(target) == EXPECTED_3_ZONES_SINGLE_NAT

    again = make_plan(target)
    assert not again.has_changes, [(c.address, c.diffs) for c in again.actionable]

    gone = down(target)
    assert gone.ok, [str(r.error) for r in gone.result.failed]
    assert inventory(target).by_address == {}
    assert cloud_counts(target) == {}
    assert leftovers.find(target) == []
    kept = leftovers.find(target, include_intended=True)
    assert [k.kind for k in kept] == ["kms key"]  # scheduled for deletion, as AWS requires


def test_adding_a_zone_adds_only_that_zone(clean_cloud):
    target = target_for(fabric_text(zones=2))
    assert up(target).ok
    bigger = target_for(fabric_text(zones=3))
    p = make_plan(bigger)
    changed = {c.address: c.action for c in p.actionable}
    assert changed == {
        "subnet.private-c": Action.CREATE,
        "subnet.public-c": Action.CREATE,
        "route_table.private-c": Action.CREATE,
        "route_table.public": Action.UPDATE,
    }
    assert [d.field for d in p.change("route_table.public").diffs] == ["subnets"]
    assert up(bigger).ok
    assert not make_plan(bigger).has_changes
    assert down(bigger).ok


def test_nat_single_to_per_zone_and_back(clean_cloud):
    target = target_for(fabric_text(nat="single"))
    assert up(target).ok
    per_zone = target_for(fabric_text(nat="per-zone"))
    p = make_plan(per_zone)
    changed = {c.address: c.action for c in p.actionable}
    assert changed == {
        "eip.nat-b": Action.CREATE,
        "eip.nat-c": Action.CREATE,
        "nat_gateway.b": Action.CREATE,
        "nat_gateway.c": Action.CREATE,
        "route_table.private-b": Action.UPDATE,
        "route_table.private-c": Action.UPDATE,
        "dashboard.fabric": Action.UPDATE,  # its NAT widgets name every NAT gateway
    }
    assert up(per_zone).ok
    assert cloud_counts(per_zone)["nat_gateway"] == 3
    assert not make_plan(per_zone).has_changes

    back = make_plan(target)
    assert {c.address: c.action for c in back.actionable} == {
        "eip.nat-b": Action.DELETE,
        "eip.nat-c": Action.DELETE,
        "nat_gateway.b": Action.DELETE,
        "nat_gateway.c": Action.DELETE,
        "route_table.private-b": Action.UPDATE,
        "route_table.private-c": Action.UPDATE,
        "dashboard.fabric": Action.UPDATE,  # its NAT widgets name every NAT gateway
    }
    assert up(target).ok
    assert cloud_counts(target)["nat_gateway"] == 1
    assert not make_plan(target).has_changes
    assert down(target).ok


def test_private_subnets_without_nat_reach_aws_through_weft_s_endpoints(clean_cloud):
    """``network.endpoints``: interface endpoints for ECR, STS, EC2 and Logs in the private
    subnets (private DNS on, HTTPS from the VPC only) and S3's gateway endpoint in the private
    route tables; tagged, so ``down`` deletes them."""
    text = fabric_text("endpoints", zones=2, nat="none").replace(
        "layout: private\n", "layout: private\n  endpoints: true\n"
    )
    target = target_for(text)
    assert up(target).ok
    ec2 = target.session.client("ec2")
    flt = [{"Name": "tag:weft:fabric", "Values": ["endpoints"]}]
    found = {e["ServiceName"]: e for e in ec2.describe_vpc_endpoints(Filters=flt)["VpcEndpoints"]}
    services = {
        f"com.amazonaws.us-east-2.{s}" for s in ("ecr.api", "ecr.dkr", "sts", "ec2", "logs")
    }
    assert set(found) == services | {"com.amazonaws.us-east-2.s3"}
    inv = inventory(target)
    private = {inv.by_address[f"subnet.private-{z}"].id for z in "ab"}
    tables = {inv.by_address[f"route_table.private-{z}"].id for z in "ab"}
    group = inv.by_address["security_group.endpoints"].id
    for service in services:
        endpoint = found[service]
        assert endpoint["VpcEndpointType"] == "Interface" and endpoint["PrivateDnsEnabled"]
        assert set(endpoint["SubnetIds"]) == private
        assert [g["GroupId"] for g in endpoint["Groups"]] == [group]
    assert set(found["com.amazonaws.us-east-2.s3"]["RouteTableIds"]) == tables
    rule = inv.by_address["security_group_rule.endpoints-https"]
    assert (rule.props["from_port"], rule.props["cidr"]) == (443, "10.20.0.0/16")
    reader = target_for(text)  # a session of its own: its counter holds this plan
    assert not make_plan(reader).has_changes
    # the interface and the gateway endpoint drivers share one DescribeVpcEndpoints
    assert reader.session.counter.snapshot()["by_call"]["ec2:DescribeVpcEndpoints"] == 1
    assert down(target).ok
    left = ec2.describe_vpc_endpoints(Filters=flt)["VpcEndpoints"]
    assert all(e["State"].lower() == "deleted" for e in left)


def test_local_cloud_refuses_private_dns_in_a_vpc_without_dns_hostnames(clean_cloud):
    """As AWS does: an interface endpoint's private DNS needs the VPC's DNS support and DNS
    hostnames (a new VPC has no DNS hostnames); moto alone creates it anyway."""
    ec2 = target_for(fabric_text()).session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.0.0/24")["Subnet"]["SubnetId"]
    endpoint = {
        "VpcId": vpc,
        "ServiceName": "com.amazonaws.us-east-2.sts",
        "VpcEndpointType": "Interface",
        "SubnetIds": [subnet],
    }
    with pytest.raises(ClientError) as refused:
        ec2.create_vpc_endpoint(**endpoint)
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"
    assert "enableDnsHostnames" in refused.value.response["Error"]["Message"]
    assert ec2.create_vpc_endpoint(**endpoint, PrivateDnsEnabled=False)["VpcEndpoint"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    assert ec2.create_vpc_endpoint(**endpoint)["VpcEndpoint"]["PrivateDnsEnabled"] is True


def test_changing_the_cidr_replaces_the_network(clean_cloud):
    target = target_for(fabric_text(layout="public", nat="none"))
    assert up(target).ok
    moved = target_for(
        fabric_text(layout="public", nat="none").replace("10.20.0.0/16", "10.30.0.0/16")
    )
    p = make_plan(moved)
    assert p.change("vpc.main").action is Action.REPLACE
    assert p.change("subnet.public-a").action is Action.REPLACE
    assert up(moved).ok
    assert not make_plan(moved).has_changes
    assert cloud_counts(moved)["vpc"] == 1
    assert down(moved).ok


@pytest.mark.parametrize("k", [1, 3, 8, 12, 15])  # of its 16 steps
def test_crash_after_k_steps_then_up_converges_without_duplicates(clean_cloud, k):
    target = target_for(fabric_text())
    log = EventLog()
    runner = Runner(target, on_event=log, max_workers=4)

    def stop_after_k(event):
        log(event)
        if event.type == "done" and len(log.of("done")) >= k:
            runner.cancel.set()

    runner.on_event = stop_after_k
    first = apply.up(runner, make_plan(target))
    assert not first.ok and first.result.cancelled
    assert len(first.result.done) >= k

    # the lock was released even though the run stopped; a new run converges
    second = up(target)
    assert second.ok, [str(r.error) for r in second.result.failed]
    assert cloud_counts(target) == EXPECTED_3_ZONES_SINGLE_NAT
    assert not make_plan(target).has_changes
    assert down(target).ok
    assert cloud_counts(target) == {}


def test_saved_plan_is_refused_when_the_cloud_moved(clean_cloud):
    target = target_for(fabric_text(layout="public", nat="none"))
    assert up(target).ok
    tagged = target_for(fabric_text(layout="public", nat="none", extra="tags:\n  team: web\n"))
    stale = make_plan(tagged)
    assert stale.change("vpc.main").action is Action.UPDATE
    # someone changes the cloud behind the plan's back
    ec2 = target.session.client("ec2")
    vpc_id = inventory(target).by_address["vpc.main"].id
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "owner", "Value": "someone"}])
    with pytest.raises(StalePlan):
        apply.up(Runner(tagged), stale)
    # nothing was applied, and the lock was released
    assert "team" not in inventory(target).by_address["vpc.main"].props["tags"]
    assert up(tagged).ok
    assert down(target).ok


def test_another_account_is_refused_before_anything(clean_cloud):
    text = fabric_text(extra='account_id: "111111111111"\n')
    with pytest.raises(GuardError, match="belongs to account 111111111111"):
        connect(parse_fabric(text, source="fabric.yaml"), local=True)
