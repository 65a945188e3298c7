"""Discovery of a whole small network, and the applier that builds it (local cloud)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from weft.aws import inventory
from weft.aws.applier import AwsApplier
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.aws.session import AwsSession
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError, TemporaryError

pytestmark = pytest.mark.integration

REGION = "us-east-2"
ZONES = ("us-east-2a", "us-east-2b", "us-east-2c")


def make_ctx(url: str, fabric: str, run_id: str = "r1") -> AwsContext:
    session = AwsSession(REGION, endpoint_url=url, credentials=("weft-local", "weft-local-secret"))
    return AwsContext(session, fabric=fabric, account_id="123456789012", run_id=run_id)


def new_fabric() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


class Builder:
    """Creates resources through the applier, resolving refs by hand from what it made."""

    def __init__(self, ctx: AwsContext) -> None:
        self.ctx = ctx
        self.applier = AwsApplier(ctx)
        self.made: dict[str, Observed] = {}
        self.reports: list[str] = []

    def id(self, address: str) -> str:
        return self.made[address].id

    def add(self, kind: str, name: str, **props: Any) -> Observed:
        address = f"{kind}.{name}"
        props["tags"] = {
            "weft:fabric": self.ctx.fabric,
            "weft:id": address,
            "Name": f"{self.ctx.fabric}-{name}",
        }
        resource = Resource(kind, name, props)
        observed = self.applier.create(resource, resource.props, self.reports.append)
        self.made[address] = observed
        return observed


def build_network(ctx: AwsContext, subnets: int) -> Builder:
    b = Builder(ctx)
    b.add(
        "fabric_bucket",
        "fabric",
        bucket=ctx.fabric_bucket,
        versioning=True,
        encryption="AES256",
        public_access_block=True,
    )
    b.add(
        "kms_key",
        "fabric",
        description="secrets",
        alias=f"alias/weft/{ctx.fabric}",
        rotation=True,
        # as the model writes it: the account's IAM policies decide
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ctx.account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
    )
    vpc = b.add(
        "vpc",
        "main",
        cidr="10.40.0.0/16",
        dns_support=True,
        dns_hostnames=True,
        default_sg_open=False,
    )
    igw = b.add("internet_gateway", "main", vpc_id=vpc.id)
    ids = []
    for i in range(subnets):
        s = b.add(
            "subnet",
            f"public-{'abc'[i]}",
            vpc_id=vpc.id,
            cidr=f"10.40.{i}.0/24",
            zone=ZONES[i],
            map_public_ip=True,
        )
        ids.append(s.id)
    eip = b.add("eip", "nat-a")
    nat = b.add("nat_gateway", "a", subnet_id=ids[0], allocation_id=eip.id)
    b.add(
        "route_table",
        "public",
        vpc_id=vpc.id,
        subnets=sorted(ids),
        routes=[{"destination": "0.0.0.0/0", "gateway_id": igw.id, "nat_gateway_id": None}],
    )
    b.add(
        "route_table",
        "private-a",
        vpc_id=vpc.id,
        subnets=[],
        routes=[{"destination": "0.0.0.0/0", "gateway_id": None, "nat_gateway_id": nat.id}],
    )
    cluster = b.add(
        "security_group",
        "cluster",
        vpc_id=vpc.id,
        group_name=f"{ctx.fabric}-cluster",
        description="cluster",
    )
    nodes = b.add(
        "security_group",
        "nodes",
        vpc_id=vpc.id,
        group_name=f"{ctx.fabric}-nodes",
        description="nodes",
    )
    b.add(
        "security_group_rule",
        "nodes-from-cluster",
        group_id=nodes.id,
        direction="ingress",
        protocol="-1",
        from_port=-1,
        to_port=-1,
        cidr=None,
        source_group_id=cluster.id,
        description="",
    )
    b.add(
        "security_group_rule",
        "cluster-https",
        group_id=cluster.id,
        direction="ingress",
        protocol="tcp",
        from_port=443,
        to_port=443,
        cidr="10.0.0.0/8",
        source_group_id=None,
        description="https",
    )
    return b


def fresh_discover(url: str, fabric: str) -> tuple[inventory.Inventory, dict[str, int]]:
    """Discover with a new session, so its request counter holds only discovery."""
    ctx = make_ctx(url, fabric)
    inv = inventory.discover(ctx, DRIVERS)
    return inv, dict(ctx.session.counter.snapshot()["by_call"])


def test_discover_finds_what_was_built_with_equal_props_and_deps(moto_url: str) -> None:
    ctx = make_ctx(moto_url, new_fabric())
    b = build_network(ctx, subnets=2)
    inv, _ = fresh_discover(moto_url, ctx.fabric)
    assert set(inv.by_address) == set(b.made)
    assert inv.duplicates == []
    for address, made in b.made.items():
        found = inv.by_address[address]
        assert found.id == made.id, address
        assert dict(found.props) == dict(made.props), address
        assert inv.by_id[made.id] is found
    deps = {o.address: set(o.deps) for o in inv}
    assert deps["vpc.main"] == set()
    assert deps["subnet.public-a"] == {"vpc.main"}
    assert deps["internet_gateway.main"] == {"vpc.main"}
    assert deps["nat_gateway.a"] == {"subnet.public-a", "eip.nat-a"}
    assert deps["route_table.public"] == {
        "vpc.main",
        "internet_gateway.main",
        "subnet.public-a",
        "subnet.public-b",
    }
    assert deps["route_table.private-a"] == {"vpc.main", "nat_gateway.a"}
    assert deps["security_group_rule.nodes-from-cluster"] == {
        "security_group.nodes",
        "security_group.cluster",
    }
    assert deps["fabric_bucket.fabric"] == set()
    # the applier's results carry the desired resource's dependencies too
    assert set(b.made["subnet.public-a"].deps) == set()  # props held ids, not refs


def test_discovery_cost_does_not_grow_with_subnets(moto_url: str) -> None:
    small = make_ctx(moto_url, new_fabric())
    big = make_ctx(moto_url, new_fabric())
    build_network(small, subnets=1)
    build_network(big, subnets=3)
    inv_small, calls_small = fresh_discover(moto_url, small.fabric)
    inv_big, calls_big = fresh_discover(moto_url, big.fabric)
    assert len(inv_big) == len(inv_small) + 2
    assert calls_small == calls_big
    # a bounded number of batched reads per kind, whatever the fabric holds
    assert sum(calls_small.values()) <= 2 * len(DRIVERS), calls_small


def test_fabrics_do_not_see_each_other(moto_url: str) -> None:
    one = make_ctx(moto_url, new_fabric())
    two = make_ctx(moto_url, new_fabric())
    Builder(one).add(
        "vpc",
        "main",
        cidr="10.1.0.0/16",
        dns_support=True,
        dns_hostnames=False,
        default_sg_open=False,
    )
    Builder(two).add(
        "vpc",
        "main",
        cidr="10.2.0.0/16",
        dns_support=True,
        dns_hostnames=False,
        default_sg_open=False,
    )
    inv_one, _ = fresh_discover(moto_url, one.fabric)
    inv_two, _ = fresh_discover(moto_url, two.fabric)
    assert inv_one.by_address["vpc.main"].props["cidr"] == "10.1.0.0/16"
    assert inv_two.by_address["vpc.main"].props["cidr"] == "10.2.0.0/16"
    assert len(inv_one) == len(inv_two) == 1


def test_duplicates_stay_visible(moto_url: str) -> None:
    ctx = make_ctx(moto_url, new_fabric())
    ec2 = ctx.client("ec2")
    tags = [{"Key": "weft:fabric", "Value": ctx.fabric}, {"Key": "weft:id", "Value": "vpc.main"}]
    spec = [{"ResourceType": "vpc", "Tags": tags}]
    first = ec2.create_vpc(CidrBlock="10.5.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"]
    second = ec2.create_vpc(CidrBlock="10.6.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"]
    # the second one is in use: it keeps the address
    Builder(ctx).add(
        "subnet", "a", vpc_id=second, cidr="10.6.1.0/24", zone="us-east-2a", map_public_ip=False
    )
    inv, _ = fresh_discover(moto_url, ctx.fabric)
    assert inv.by_address["vpc.main"].id == second
    assert [d.id for d in inv.duplicates] == [first]
    assert inv.duplicates[0].address == "vpc.main#2"
    assert inv.by_address["vpc.main#2"].id == first
    assert inv.by_address["subnet.a"].deps == ("vpc.main",)


class _Failing:
    schema = KindSchema(kind="broken")

    def __init__(self, code: str) -> None:
        self.code = code

    def discover(self, ctx: AwsContext) -> list[Observed]:
        raise ClientError(
            {"Error": {"Code": self.code, "Message": "nope"}, "ResponseMetadata": {}},
            "DescribeThings",
        )


def test_discover_translates_errors(moto_url: str) -> None:
    ctx = make_ctx(moto_url, new_fabric())
    drivers: Any = {"vpc": DRIVERS["vpc"], "broken": _Failing("Throttling")}
    with pytest.raises(TemporaryError, match="could not read broken resources: nope"):
        inventory.discover(ctx, drivers)


def test_applier_translates_errors(moto_url: str) -> None:
    ctx = make_ctx(moto_url, new_fabric())
    b = Builder(ctx)
    vpc = b.add(
        "vpc",
        "main",
        cidr="10.7.0.0/16",
        dns_support=True,
        dns_hostnames=False,
        default_sg_open=False,
    )

    with pytest.raises(PermanentError) as bad:
        b.add(
            "subnet",
            "outside",
            vpc_id=vpc.id,
            cidr="10.99.0.0/24",
            zone="us-east-2a",
            map_public_ip=False,
        )
    assert bad.value.address == "subnet.outside"
    assert bad.value.code == "InvalidSubnet.Range"
    assert bad.value.request_id
    assert str(bad.value).startswith("subnet.outside: could not create: ")

    with pytest.raises(TemporaryError) as missing_parent:
        b.add(
            "subnet",
            "orphan",
            vpc_id="vpc-0123456789abcdef0",
            cidr="10.7.1.0/24",
            zone="us-east-2a",
            map_public_ip=False,
        )
    assert missing_parent.value.retryable

    b.add("subnet", "a", vpc_id=vpc.id, cidr="10.7.1.0/24", zone="us-east-2a", map_public_ip=False)
    with pytest.raises(TemporaryError) as busy:
        b.applier.delete(b.made["vpc.main"], b.reports.append)
    assert busy.value.code == "DependencyViolation"

    b.applier.delete(b.made["subnet.a"], b.reports.append)
    b.applier.delete(b.made["subnet.a"], b.reports.append)  # already gone: fine
    assert any("already gone" in r for r in b.reports)
    b.applier.delete(b.made["vpc.main"], b.reports.append)


def test_applier_refuses_unknown_kinds(moto_url: str) -> None:
    applier = AwsApplier(make_ctx(moto_url, new_fabric()))
    with pytest.raises(PermanentError, match="no AWS driver"):
        applier.create(Resource("teapot", "x", {}), {}, lambda _: None)


def test_applier_update_and_report(moto_url: str) -> None:
    ctx = make_ctx(moto_url, new_fabric())
    b = Builder(ctx)
    vpc = b.add(
        "vpc",
        "main",
        cidr="10.8.0.0/16",
        dns_support=True,
        dns_hostnames=False,
        default_sg_open=False,
    )
    props = {**dict(vpc.props), "dns_hostnames": True}
    updated = b.applier.update(
        Resource("vpc", "main", props), props, vpc, {"dns_hostnames"}, b.reports.append
    )
    assert updated.props["dns_hostnames"] is True
    inv, _ = fresh_discover(moto_url, ctx.fabric)
    assert inv.by_address["vpc.main"].props["dns_hostnames"] is True


def test_teardown_from_inventory_alone(moto_url: str) -> None:
    """Deleting in reverse dependency order, using only what discovery found."""
    ctx = make_ctx(moto_url, new_fabric())
    build_network(ctx, subnets=2)
    inv, _ = fresh_discover(moto_url, ctx.fabric)
    applier = AwsApplier(ctx)
    remaining = {o.address: o for o in inv}
    while remaining:
        needed = {d for o in remaining.values() for d in o.deps}
        leaves = [o for a, o in remaining.items() if a not in needed]
        assert leaves, "dependency cycle among observed resources"
        for leaf in leaves:
            applier.delete(leaf, lambda _: None)
            del remaining[leaf.address]
    after, _ = fresh_discover(moto_url, ctx.fabric)
    assert len(after) == 0


def test_empty_fabric_discovers_nothing(moto_url: str) -> None:
    # A fabric with nothing at all: every driver answers with an empty list.
    inv, calls = fresh_discover(moto_url, new_fabric())
    assert len(inv) == 0
    assert "s3:HeadBucket" in calls
