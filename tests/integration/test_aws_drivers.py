"""Every AWS driver against the local cloud (a moto server over HTTP): create, discover, update,
delete, delete again."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from weft.aws.applier import AwsApplier
from weft.aws.context import AwsContext
from weft.aws.drivers import DRIVERS
from weft.aws.session import AwsSession
from weft.core.resource import Observed, Resource, thaw
from weft.fabricfile import load_fabric
from weft.model import desired_resources

from .helpers import CLUSTER_VERSION

pytestmark = pytest.mark.integration

REGION = "us-east-2"


def make_ctx(url: str, fabric: str = "t1", run_id: str = "r1") -> AwsContext:
    session = AwsSession(REGION, endpoint_url=url, credentials=("weft-local", "weft-local-secret"))
    return AwsContext(session, fabric=fabric, account_id="123456789012", run_id=run_id)


@pytest.fixture
def ctx(moto_url: str) -> AwsContext:
    """A fresh fabric on the shared local cloud: everything weft reads is filtered by fabric, so
    tests are isolated without the cost of resetting the server (about 1.6 s each)."""
    return make_ctx(moto_url, fabric=f"t{uuid.uuid4().hex[:10]}")


def tags_for(ctx: AwsContext, address: str, **extra: str) -> dict[str, str]:
    name = address.partition(".")[2]
    return {"weft:fabric": ctx.fabric, "weft:id": address, "Name": f"{ctx.fabric}-{name}", **extra}


def desired(ctx: AwsContext, kind: str, name: str, **props: Any) -> tuple[Resource, dict[str, Any]]:
    """A desired resource and its props with refs resolved (here: written with the ids)."""
    address = f"{kind}.{name}"
    full = {**props, "tags": tags_for(ctx, address, **props.pop("extra_tags", {}))}
    return Resource(kind, name, full), full


def discovered(ctx: AwsContext, kind: str) -> dict[str, Observed]:
    return {o.name: o for o in DRIVERS[kind].discover(ctx)}


def lifecycle(
    ctx: AwsContext,
    kind: str,
    name: str,
    props: dict[str, Any],
    mutate: dict[str, Any],
) -> Observed:
    """create -> discovered equal -> update ``mutate`` -> discovered equal -> delete twice."""
    driver = DRIVERS[kind]
    resource, full = desired(ctx, kind, name, **props)
    created = driver.create(ctx, resource, dict(full))
    found = discovered(ctx, kind)
    assert set(found) == {name}
    assert found[name].id == created.id
    assert thaw(found[name].props) == full
    assert thaw(created.props) == full

    new_props = {**full, **mutate}
    if "tags" in mutate:
        new_props["tags"] = {**full["tags"], **mutate["tags"]}
    changed = {k for k in new_props if new_props[k] != full[k]}
    updated = driver.update(ctx, Resource(kind, name, new_props), new_props, found[name], changed)
    assert updated.id == created.id
    again = discovered(ctx, kind)
    assert thaw(again[name].props) == new_props

    driver.delete(ctx, again[name])
    assert discovered(ctx, kind) == {}
    return again[name]


def delete_twice_is_fine(ctx: AwsContext, observed: Observed) -> None:
    from weft.aws.applier import AwsApplier

    AwsApplier(ctx).delete(observed, lambda _: None)  # no error: already gone is success


def make_vpc(ctx: AwsContext, cidr: str = "10.20.0.0/16") -> Observed:
    resource, props = desired(
        ctx, "vpc", "main", cidr=cidr, dns_support=True, dns_hostnames=True, default_sg_open=False
    )
    return DRIVERS["vpc"].create(ctx, resource, props)


def make_subnet(ctx: AwsContext, vpc_id: str, name: str, cidr: str, zone: str) -> Observed:
    resource, props = desired(
        ctx, "subnet", name, vpc_id=vpc_id, cidr=cidr, zone=zone, map_public_ip=False
    )
    return DRIVERS["subnet"].create(ctx, resource, props)


def make_group(ctx: AwsContext, vpc_id: str, name: str) -> Observed:
    resource, props = desired(
        ctx,
        "security_group",
        name,
        vpc_id=vpc_id,
        group_name=f"{ctx.fabric}-{name}",
        description=f"weft {name}",
    )
    return DRIVERS["security_group"].create(ctx, resource, props)


# ---------------------------------------------------------------------------------------- tests


def test_registry_has_every_kind() -> None:
    """Every kind a fabric can ask for has a driver, and no driver is registered for nothing."""
    good = Path(__file__).parents[1] / "unit" / "fabricfile" / "good"
    wanted: set[str] = set()
    for path in sorted(good.glob("*.yaml")):
        fabric = load_fabric(path)
        resources = desired_resources(fabric, account_id="123456789012", zones=fabric.zone_names())
        wanted |= {r.kind for r in resources}
    assert {k for k, d in DRIVERS.items() if d.schema.owner == "fabric"} == wanted
    # written by `weft deploy` for the apps, once their load balancers exist
    assert {k for k, d in DRIVERS.items() if d.schema.owner != "fabric"} == {
        "app_record",
        "app_alarm",
    }
    for kind, driver in DRIVERS.items():
        assert driver.schema.kind == kind


def test_vpc_lifecycle(ctx: AwsContext) -> None:
    gone = lifecycle(
        ctx,
        "vpc",
        "main",
        {
            "cidr": "10.20.0.0/16",
            "dns_support": True,
            "dns_hostnames": True,
            "default_sg_open": False,
        },
        {"dns_hostnames": False, "default_sg_open": True, "tags": {"team": "net"}},
    )
    delete_twice_is_fine(ctx, gone)


def default_group_rules(ctx: AwsContext, vpc_id: str) -> list[dict[str, Any]]:
    """The rules of the VPC's default security group, read straight from EC2."""
    client = ctx.client("ec2")
    (group,) = client.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    return list(
        client.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [group["GroupId"]]}]
        )["SecurityGroupRules"]
    )


def test_local_cloud_default_security_group_has_the_rules_aws_creates(ctx: AwsContext) -> None:
    """A new VPC's default group admits its own members and lets all out, as on AWS."""
    bare = ctx.client("ec2").create_vpc(CidrBlock="10.21.0.0/16")["Vpc"]["VpcId"]
    rules = default_group_rules(ctx, bare)
    ctx.client("ec2").delete_vpc(VpcId=bare)
    (inbound,) = [rule for rule in rules if not rule["IsEgress"]]
    (outbound,) = [rule for rule in rules if rule["IsEgress"]]
    assert inbound["IpProtocol"] == outbound["IpProtocol"] == "-1"
    assert inbound["ReferencedGroupInfo"]["GroupId"] == inbound["GroupId"]
    assert outbound["CidrIpv4"] == "0.0.0.0/0"


def test_vpc_default_security_group_is_stripped_of_its_rules(ctx: AwsContext) -> None:
    """Like terraform-aws-vpc and CIS 5.4: the default group admits nothing and lets nothing out."""
    vpc = make_vpc(ctx)
    assert default_group_rules(ctx, vpc.id) == []
    assert discovered(ctx, "vpc")["main"].props["default_sg_open"] is False
    reopened = {**thaw(vpc.props), "default_sg_open": True}
    DRIVERS["vpc"].update(
        ctx, Resource("vpc", "main", reopened), reopened, vpc, {"default_sg_open"}
    )
    assert len(default_group_rules(ctx, vpc.id)) == 2


def test_vpc_dns_support_off_turns_hostnames_off_first(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    props = {**thaw(vpc.props), "dns_support": False, "dns_hostnames": False}
    DRIVERS["vpc"].update(
        ctx, Resource("vpc", "main", props), props, vpc, {"dns_support", "dns_hostnames"}
    )
    assert thaw(discovered(ctx, "vpc")["main"].props) == props


def test_vpc_create_retried_adopts_the_first_one(ctx: AwsContext) -> None:
    first = make_vpc(ctx)
    second = make_vpc(ctx)
    assert second.id == first.id
    assert len(discovered(ctx, "vpc")) == 1


def test_vpc_with_other_cidr_is_not_adopted(ctx: AwsContext) -> None:
    first = make_vpc(ctx, "10.20.0.0/16")
    second = make_vpc(ctx, "10.30.0.0/16")
    assert second.id != first.id


def test_internet_gateway_lifecycle(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    gone = lifecycle(ctx, "internet_gateway", "main", {"vpc_id": vpc.id}, {"tags": {"x": "1"}})
    delete_twice_is_fine(ctx, gone)
    DRIVERS["vpc"].delete(ctx, vpc)  # the gateway was detached: the VPC can go


def test_subnet_lifecycle(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    gone = lifecycle(
        ctx,
        "subnet",
        "public-a",
        {"vpc_id": vpc.id, "cidr": "10.20.1.0/24", "zone": "us-east-2a", "map_public_ip": True},
        {"map_public_ip": False, "tags": {"kubernetes.io/role/elb": "1"}},
    )
    delete_twice_is_fine(ctx, gone)


def test_tags_removed_on_update(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    resource, props = desired(
        ctx,
        "subnet",
        "a",
        vpc_id=vpc.id,
        cidr="10.20.1.0/24",
        zone="us-east-2a",
        map_public_ip=False,
        extra_tags={"old": "yes"},
    )
    subnet = DRIVERS["subnet"].create(ctx, resource, props)
    new = {**props, "tags": {k: v for k, v in props["tags"].items() if k != "old"}}
    DRIVERS["subnet"].update(ctx, resource, new, subnet, {"tags"})
    assert thaw(discovered(ctx, "subnet")["a"].props)["tags"] == new["tags"]


def test_eip_lifecycle(ctx: AwsContext) -> None:
    gone = lifecycle(ctx, "eip", "nat-a", {}, {"tags": {"purpose": "nat"}})
    assert gone.outputs["public_ip"]
    delete_twice_is_fine(ctx, gone)


def test_nat_gateway_and_eip_lifecycle(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    subnet = make_subnet(ctx, vpc.id, "public-a", "10.20.1.0/24", "us-east-2a")
    eip_resource, eip_props = desired(ctx, "eip", "nat-a")
    eip = DRIVERS["eip"].create(ctx, eip_resource, eip_props)
    reports: list[str] = []
    gone = lifecycle(
        ctx.with_reporter(reports.append),
        "nat_gateway",
        "a",
        {"subnet_id": subnet.id, "allocation_id": eip.id},
        {"tags": {"zone": "a"}},
    )
    assert gone.outputs["public_ip"] == eip.outputs["public_ip"]
    delete_twice_is_fine(ctx, gone)
    DRIVERS["eip"].delete(ctx, discovered(ctx, "eip")["nat-a"])
    assert discovered(ctx, "eip") == {}


def test_nat_gateway_create_is_idempotent(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    subnet = make_subnet(ctx, vpc.id, "public-a", "10.20.1.0/24", "us-east-2a")
    eip = DRIVERS["eip"].create(ctx, *desired(ctx, "eip", "nat-a"))
    resource, props = desired(ctx, "nat_gateway", "a", subnet_id=subnet.id, allocation_id=eip.id)
    first = DRIVERS["nat_gateway"].create(ctx, resource, props)
    second = DRIVERS["nat_gateway"].create(ctx, resource, props)
    assert first.id == second.id
    assert len(discovered(ctx, "nat_gateway")) == 1


def _route_table_setup(ctx: AwsContext) -> dict[str, Any]:
    vpc = make_vpc(ctx)
    igw = DRIVERS["internet_gateway"].create(
        ctx, *desired(ctx, "internet_gateway", "main", vpc_id=vpc.id)
    )
    a = make_subnet(ctx, vpc.id, "public-a", "10.20.1.0/24", "us-east-2a")
    b = make_subnet(ctx, vpc.id, "public-b", "10.20.2.0/24", "us-east-2b")
    c = make_subnet(ctx, vpc.id, "private-a", "10.20.3.0/24", "us-east-2a")
    eip = DRIVERS["eip"].create(ctx, *desired(ctx, "eip", "nat-a"))
    nat = DRIVERS["nat_gateway"].create(
        ctx, *desired(ctx, "nat_gateway", "a", subnet_id=a.id, allocation_id=eip.id)
    )
    return {"vpc": vpc, "igw": igw, "a": a, "b": b, "c": c, "nat": nat}


def route(destination: str, gateway: str | None = None, nat: str | None = None) -> dict[str, Any]:
    return {"destination": destination, "gateway_id": gateway, "nat_gateway_id": nat}


def test_route_table_lifecycle(ctx: AwsContext) -> None:
    net = _route_table_setup(ctx)
    gone = lifecycle(
        ctx,
        "route_table",
        "public",
        {
            "vpc_id": net["vpc"].id,
            "routes": [route("0.0.0.0/0", gateway=net["igw"].id)],
            "subnets": sorted([net["a"].id, net["b"].id]),
        },
        {"subnets": [net["a"].id], "tags": {"tier": "public"}},
    )
    delete_twice_is_fine(ctx, gone)


def test_route_table_reconcile(ctx: AwsContext) -> None:
    net = _route_table_setup(ctx)
    driver = DRIVERS["route_table"]
    resource, props = desired(
        ctx,
        "route_table",
        "private-a",
        vpc_id=net["vpc"].id,
        routes=[route("0.0.0.0/0", nat=net["nat"].id)],
        subnets=[net["c"].id],
    )
    created = driver.create(ctx, resource, props)
    assert set(created.outputs["associations"]) == {net["c"].id}
    found = discovered(ctx, "route_table")["private-a"]
    assert thaw(found.props) == props

    # add a route, change the default route's target, add and remove an association
    new = {
        **props,
        "routes": [
            route("0.0.0.0/0", gateway=net["igw"].id),
            route("192.168.0.0/16", nat=net["nat"].id),
        ],
        "subnets": [net["b"].id],
    }
    driver.update(ctx, resource, new, found, {"routes", "subnets"})
    found = discovered(ctx, "route_table")["private-a"]
    assert thaw(found.props) == new
    assert set(found.outputs["associations"]) == {net["b"].id}

    # remove a route and every association
    last = {**new, "routes": [route("192.168.0.0/16", nat=net["nat"].id)], "subnets": []}
    driver.update(ctx, resource, last, found, {"routes", "subnets"})
    found = discovered(ctx, "route_table")["private-a"]
    assert thaw(found.props) == last
    driver.delete(ctx, found)
    assert discovered(ctx, "route_table") == {}


def test_route_table_takes_a_subnet_over_from_another(ctx: AwsContext) -> None:
    net = _route_table_setup(ctx)
    driver = DRIVERS["route_table"]
    one = desired(ctx, "route_table", "one", vpc_id=net["vpc"].id, routes=[], subnets=[net["a"].id])
    driver.create(ctx, *one)
    two_resource, two_props = desired(
        ctx, "route_table", "two", vpc_id=net["vpc"].id, routes=[], subnets=[net["a"].id]
    )
    driver.create(ctx, two_resource, two_props)
    found = discovered(ctx, "route_table")
    assert found["two"].props["subnets"] == (net["a"].id,)
    assert found["one"].props["subnets"] == ()


def test_security_group_lifecycle(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    gone = lifecycle(
        ctx,
        "security_group",
        "nodes",
        {"vpc_id": vpc.id, "group_name": "t1-nodes", "description": "weft nodes"},
        {"tags": {"role": "nodes"}},
    )
    delete_twice_is_fine(ctx, gone)


def _rule(group_id: str, **kw: Any) -> dict[str, Any]:
    base = {
        "group_id": group_id,
        "direction": "ingress",
        "protocol": "tcp",
        "from_port": 443,
        "to_port": 443,
        "cidr": None,
        "source_group_id": None,
        "description": "",
    }
    return {**base, **kw}


@pytest.mark.parametrize(
    "shape",
    ["cidr", "group", "all-protocols", "egress-group"],
)
def test_security_group_rule_lifecycle(ctx: AwsContext, shape: str) -> None:
    vpc = make_vpc(ctx)
    nodes = make_group(ctx, vpc.id, "nodes")
    cluster = make_group(ctx, vpc.id, "cluster")
    props = {
        "cidr": _rule(nodes.id, cidr="10.0.0.0/8", description="https from the VPC"),
        # no description at creation: see test_moto_gap_sg_reference_rule_description
        "group": _rule(nodes.id, source_group_id=cluster.id),
        "all-protocols": _rule(
            nodes.id, protocol="-1", from_port=-1, to_port=-1, cidr="10.20.0.0/16"
        ),
        "egress-group": _rule(
            cluster.id,
            direction="egress",
            protocol="udp",
            from_port=53,
            to_port=53,
            source_group_id=nodes.id,
        ),
    }[shape]
    gone = lifecycle(
        ctx,
        "security_group_rule",
        f"rule-{shape}",
        props,
        {"description": "changed", "tags": {"k": "v"}},
    )
    delete_twice_is_fine(ctx, gone)


def test_local_cloud_reports_sg_reference_rule_description(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    nodes = make_group(ctx, vpc.id, "nodes")
    cluster = make_group(ctx, vpc.id, "cluster")
    resource, props = desired(
        ctx,
        "security_group_rule",
        "nodes-from-cluster",
        **_rule(nodes.id, source_group_id=cluster.id, description="from cluster"),
    )
    DRIVERS["security_group_rule"].create(ctx, resource, props)
    found = discovered(ctx, "security_group_rule")["nodes-from-cluster"]
    assert found.props["description"] == "from cluster"


def test_local_cloud_applies_nat_gateway_tag_filters(moto_url: str) -> None:
    one = make_ctx(moto_url, fabric=f"t{uuid.uuid4().hex[:10]}")
    other = make_ctx(moto_url, fabric=f"t{uuid.uuid4().hex[:10]}")
    vpc = make_vpc(one)
    subnet = make_subnet(one, vpc.id, "a", "10.20.1.0/24", "us-east-2a")
    eip = DRIVERS["eip"].create(one, *desired(one, "eip", "nat-a"))
    DRIVERS["nat_gateway"].create(
        one, *desired(one, "nat_gateway", "a", subnet_id=subnet.id, allocation_id=eip.id)
    )
    answer = other.client("ec2").describe_nat_gateways(
        Filters=[{"Name": "tag:weft:fabric", "Values": [other.fabric]}]
    )
    assert answer["NatGateways"] == []


def test_security_group_rule_create_twice_adopts(ctx: AwsContext) -> None:
    vpc = make_vpc(ctx)
    nodes = make_group(ctx, vpc.id, "nodes")
    cluster = make_group(ctx, vpc.id, "cluster")
    resource, props = desired(
        ctx,
        "security_group_rule",
        "nodes-from-cluster",
        **_rule(nodes.id, protocol="-1", from_port=-1, to_port=-1, source_group_id=cluster.id),
    )
    first = DRIVERS["security_group_rule"].create(ctx, resource, props)
    second = DRIVERS["security_group_rule"].create(ctx, resource, props)
    assert first.id == second.id
    assert len(discovered(ctx, "security_group_rule")) == 1


def key_policy(ctx: AwsContext, sid: str) -> dict[str, Any]:
    """A key policy letting the account's IAM policies decide (``sid`` tells two apart)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ctx.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def test_kms_key_lifecycle(ctx: AwsContext) -> None:
    gone = lifecycle(
        ctx,
        "kms_key",
        "fabric",
        {
            "description": "secrets",
            "alias": f"alias/weft/{ctx.fabric}",
            "rotation": True,
            "policy": key_policy(ctx, "Account"),
        },
        {
            "description": "changed",
            "alias": f"alias/weft/{ctx.fabric}-new",
            "rotation": False,
            "policy": key_policy(ctx, "The account"),
            "tags": {"x": "y"},
        },
    )
    assert gone.state == "enabled"
    assert gone.outputs["arn"].startswith("arn:aws:kms:")
    kms = ctx.client("kms")
    aliases = {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    assert not {f"alias/weft/{ctx.fabric}", f"alias/weft/{ctx.fabric}-new"} & aliases
    assert kms.describe_key(KeyId=gone.id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    DRIVERS["kms_key"].delete(ctx, gone)  # pending deletion already: fine


def test_kms_alias_moves_to_a_replacement_key(ctx: AwsContext) -> None:
    driver = DRIVERS["kms_key"]
    resource, props = desired(
        ctx, "kms_key", "fabric", description="d", alias=f"alias/weft/{ctx.fabric}", rotation=False
    )
    old = driver.create(ctx, resource, props)
    ctx.client("kms").untag_resource(KeyId=old.id, TagKeys=["weft:id"])  # make it a stranger
    new = driver.create(ctx, resource, props)
    assert new.id != old.id
    driver.delete(ctx, old)  # must not take the alias from the new key
    aliases = {
        a["AliasName"]: a.get("TargetKeyId") for a in ctx.client("kms").list_aliases()["Aliases"]
    }
    assert aliases[f"alias/weft/{ctx.fabric}"] == new.id


def test_fabric_bucket_lifecycle(ctx: AwsContext) -> None:
    gone = lifecycle(
        ctx,
        "fabric_bucket",
        "fabric",
        {
            "bucket": ctx.fabric_bucket,
            "versioning": True,
            "encryption": "AES256",
            "public_access_block": True,
        },
        {"tags": {"owner": "platform"}, "public_access_block": False},
    )
    assert gone.outputs["arn"] == f"arn:aws:s3:::{ctx.fabric_bucket}"
    delete_twice_is_fine(ctx, gone)


def test_fabric_bucket_delete_removes_every_version(ctx: AwsContext) -> None:
    driver = DRIVERS["fabric_bucket"]
    resource, props = desired(
        ctx,
        "fabric_bucket",
        "fabric",
        bucket=ctx.fabric_bucket,
        versioning=True,
        encryption="AES256",
        public_access_block=True,
    )
    bucket = driver.create(ctx, resource, props)
    s3 = ctx.client("s3")
    for i in range(3):
        s3.put_object(Bucket=bucket.id, Key="secrets/a", Body=f"v{i}".encode())
        s3.put_object(Bucket=bucket.id, Key=f"other/{i}", Body=b"x")
    s3.delete_object(Bucket=bucket.id, Key="secrets/a")  # a delete marker
    versions = s3.list_object_versions(Bucket=bucket.id)
    assert len(versions["Versions"]) == 6
    assert len(versions["DeleteMarkers"]) == 1
    driver.delete(ctx, bucket)
    assert discovered(ctx, "fabric_bucket") == {}


def test_fabric_bucket_of_someone_else_is_refused(ctx: AwsContext) -> None:
    from weft.errors import PermanentError

    ctx.client("s3").create_bucket(
        Bucket=ctx.fabric_bucket, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    with pytest.raises(PermanentError, match="is not this fabric's"):
        DRIVERS["fabric_bucket"].discover(ctx)


@pytest.mark.parametrize("kind", ["vpc", "subnet", "security_group", "security_group_rule"])
def test_first_attempt_looks_for_nothing_and_a_retry_adopts(ctx: AwsContext, kind: str) -> None:
    """Through the applier (as the executor runs it): the first attempt of a create makes only
    the writes it needs; a second attempt of the same address finds and adopts what the first
    made, whatever happened to its answer."""
    vpc = make_vpc(ctx)
    group = make_group(ctx, vpc.id, "nodes")
    props = {
        "vpc": {"cidr": "10.40.0.0/16", "dns_support": True, "dns_hostnames": True},
        "subnet": {
            "vpc_id": vpc.id,
            "cidr": "10.20.9.0/24",
            "zone": "us-east-2a",
            "map_public_ip": False,
        },
        "security_group": {
            "vpc_id": vpc.id,
            "group_name": f"weft-{ctx.fabric}-other",
            "description": "other",
        },
        "security_group_rule": _rule(group.id, cidr="10.0.0.0/8"),
    }[kind]
    resource, full = desired(ctx, kind, "x", **props)
    applier = AwsApplier(ctx)
    before = Counter(ctx.session.counter.counts)
    first = applier.create(resource, full, lambda _: None)
    calls = Counter(ctx.session.counter.counts)
    calls.subtract(before)
    assert not [k for k, n in calls.items() if n and k.split(":")[1].startswith("Describe")], calls
    second = applier.create(resource, full, lambda _: None)
    assert second.id == first.id
    assert [o.name for o in DRIVERS[kind].discover(ctx)].count("x") == 1


def test_local_cloud_log_group_uses_a_key_only_when_its_policy_lets_cloudwatch_logs(
    ctx: AwsContext,
) -> None:
    """As on AWS: a key whose policy does not admit logs.REGION.amazonaws.com (the default
    policy every new key gets), or one pending deletion, is refused by CreateLogGroup."""
    from botocore.exceptions import ClientError

    from weft.fabricfile import parse_fabric
    from weft.model.fabric import key_policy

    kms, logs = ctx.client("kms"), ctx.client("logs")
    name = f"/aws/eks/{ctx.fabric}/cluster"
    meta = kms.create_key(Description="default policy")["KeyMetadata"]
    key = meta["Arn"]
    with pytest.raises(ClientError) as refused:
        logs.create_log_group(logGroupName=name, kmsKeyId=key)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "is not allowed to be used with Arn" in str(refused.value)

    fabric = parse_fabric(
        f"name: {ctx.fabric}\nregion: {REGION}\nnetwork: {{cidr: 10.0.0.0/16}}\n"
        f'cluster: {{version: "{CLUSTER_VERSION}", endpoint: private}}\n'
    )
    kms.put_key_policy(
        KeyId=key, PolicyName="default", Policy=json.dumps(key_policy(fabric, ctx.account_id))
    )
    with pytest.raises(ClientError):  # the policy admits only the cluster's group
        logs.create_log_group(logGroupName=f"/aws/other/{ctx.fabric}", kmsKeyId=key)
    logs.create_log_group(logGroupName=name, kmsKeyId=key)
    logs.delete_log_group(logGroupName=name)

    kms.schedule_key_deletion(KeyId=meta["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as pending:
        logs.create_log_group(logGroupName=name, kmsKeyId=key)
    assert pending.value.response["Error"]["Code"] == "AccessDeniedException"


def test_log_group_lifecycle(ctx: AwsContext) -> None:
    key, _ = desired(ctx, "kms_key", "fabric", description="k", alias=None, rotation=False)
    from weft.fabricfile import parse_fabric
    from weft.model.fabric import key_policy

    fabric = parse_fabric(
        f"name: {ctx.fabric}\nregion: {REGION}\nnetwork: {{cidr: 10.0.0.0/16}}\n"
        f'cluster: {{version: "{CLUSTER_VERSION}", endpoint: private}}\n'
    )
    key_props = {**dict(key.props), "policy": key_policy(fabric, ctx.account_id)}
    made_key = DRIVERS["kms_key"].create(ctx, Resource("kms_key", "fabric", key_props), key_props)
    gone = lifecycle(
        ctx,
        "log_group",
        "cluster",
        {
            "group_name": f"/aws/eks/{ctx.fabric}/cluster",
            "retention_days": 30,
            "kms_key_arn": made_key.outputs["arn"],
        },
        {"retention_days": 7, "tags": {"team": "ops"}},
    )
    delete_twice_is_fine(ctx, gone)
    DRIVERS["kms_key"].delete(ctx, made_key)


def test_log_group_made_by_eks_before_weft_is_taken_over(ctx: AwsContext) -> None:
    """EKS creates the control-plane group when it is missing: a later up tags and keeps it."""
    name = f"/aws/eks/{ctx.fabric}/cluster"
    ctx.client("logs").create_log_group(logGroupName=name)
    resource, props = desired(
        ctx, "log_group", "cluster", group_name=name, retention_days=30, kms_key_arn=None
    )
    DRIVERS["log_group"].create(ctx, resource, props)
    found = discovered(ctx, "log_group")["cluster"]
    assert thaw(found.props) == props
    DRIVERS["log_group"].delete(ctx, found)
