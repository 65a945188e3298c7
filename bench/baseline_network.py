"""The naive baseline: the fabric's resources created one after another with plain boto3.

This is the script a developer would write by hand: walk the resources in dependency order and,
for each, make the create call (tags at creation), the follow-up calls it needs (attach, modify an
attribute, add a route, associate a subnet) and, for a NAT gateway, the boto3 waiter. No
discovery, no adoption, no lock, no retries beyond botocore's own: it is the floor a sequential
tool could reach, and the bench times it under the same latency model as weft.

It takes weft's desired resources only as the list of what to create (kinds, names, props), so
every scenario made of network kinds can use it; other kinds raise :class:`Unsupported`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config

from weft.core.planner import desired_graph, resolve
from weft.core.resource import Resource, thaw
from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY

SUPPORTED = frozenset(
    {
        "fabric_bucket",
        "kms_key",
        "vpc",
        "internet_gateway",
        "subnet",
        "eip",
        "nat_gateway",
        "route_table",
        "security_group",
        "security_group_rule",
    }
)


class Unsupported(Exception):
    pass


def _tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in props.get("tags", {}).items()]


def _spec(kind: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": _tags(props)}]


def create_all(resources: Iterable[Resource], *, url: str, region: str) -> dict[str, Any]:
    """Create every resource, one after another; the ids made and the wall time."""
    resources = list(resources)
    unsupported = sorted({r.kind for r in resources} - SUPPORTED)
    if unsupported:
        raise Unsupported(f"the plain boto3 baseline knows no {', '.join(unsupported)}")
    session = boto3.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name=region,
    )
    cfg = Config(retries={"mode": "standard", "max_attempts": 3})
    ec2 = session.client("ec2", endpoint_url=url, config=cfg)
    s3 = session.client("s3", endpoint_url=url, config=cfg)
    kms = session.client("kms", endpoint_url=url, config=cfg)
    by_address = {r.address: r for r in resources}
    ids: dict[str, dict[str, Any] | None] = {}
    start = time.perf_counter()
    for address in desired_graph(resources).topological_order():
        res = by_address[address]
        props = thaw(resolve(res.props, ids))
        kind = res.kind
        if kind == "fabric_bucket":
            bucket = props["bucket"]
            config = (
                {}
                if region == "us-east-1"
                else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            s3.create_bucket(Bucket=bucket, **config)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_encryption(
                Bucket=bucket,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            )
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
            )
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(props)})
            new_id = bucket
        elif kind == "kms_key":
            key = kms.create_key(
                Description=props["description"],
                Tags=[{"TagKey": k, "TagValue": v} for k, v in props["tags"].items()],
            )["KeyMetadata"]["KeyId"]
            kms.create_alias(AliasName=props["alias"], TargetKeyId=key)
            kms.enable_key_rotation(KeyId=key)
            new_id = key
        elif kind == "vpc":
            new_id = ec2.create_vpc(CidrBlock=props["cidr"], TagSpecifications=_spec("vpc", props))[
                "Vpc"
            ]["VpcId"]
            ec2.modify_vpc_attribute(VpcId=new_id, EnableDnsSupport={"Value": True})
            ec2.modify_vpc_attribute(VpcId=new_id, EnableDnsHostnames={"Value": True})
        elif kind == "internet_gateway":
            new_id = ec2.create_internet_gateway(
                TagSpecifications=_spec("internet-gateway", props)
            )["InternetGateway"]["InternetGatewayId"]
            ec2.attach_internet_gateway(InternetGatewayId=new_id, VpcId=props["vpc_id"])
        elif kind == "subnet":
            new_id = ec2.create_subnet(
                VpcId=props["vpc_id"],
                CidrBlock=props["cidr"],
                AvailabilityZone=props["zone"],
                TagSpecifications=_spec("subnet", props),
            )["Subnet"]["SubnetId"]
            if props["map_public_ip"]:
                ec2.modify_subnet_attribute(SubnetId=new_id, MapPublicIpOnLaunch={"Value": True})
        elif kind == "eip":
            new_id = ec2.allocate_address(
                Domain="vpc", TagSpecifications=_spec("elastic-ip", props)
            )["AllocationId"]
        elif kind == "nat_gateway":
            new_id = ec2.create_nat_gateway(
                SubnetId=props["subnet_id"],
                AllocationId=props["allocation_id"],
                TagSpecifications=_spec("natgateway", props),
            )["NatGateway"]["NatGatewayId"]
            ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[new_id])
        elif kind == "route_table":
            new_id = ec2.create_route_table(
                VpcId=props["vpc_id"], TagSpecifications=_spec("route-table", props)
            )["RouteTable"]["RouteTableId"]
            for route in props["routes"]:
                target = (
                    {"GatewayId": route["gateway_id"]}
                    if route.get("gateway_id")
                    else {"NatGatewayId": route["nat_gateway_id"]}
                )
                ec2.create_route(
                    RouteTableId=new_id, DestinationCidrBlock=route["destination"], **target
                )
            for subnet in props["subnets"]:
                ec2.associate_route_table(RouteTableId=new_id, SubnetId=subnet)
        elif kind == "security_group":
            new_id = ec2.create_security_group(
                VpcId=props["vpc_id"],
                GroupName=props["group_name"],
                Description=props["description"],
                TagSpecifications=_spec("security-group", props),
            )["GroupId"]
        else:  # security_group_rule
            permission: dict[str, Any] = {
                "IpProtocol": props["protocol"],
                "FromPort": props["from_port"],
                "ToPort": props["to_port"],
            }
            source = {"Description": props["description"]}
            if props.get("source_group_id"):
                permission["UserIdGroupPairs"] = [{"GroupId": props["source_group_id"], **source}]
            else:
                permission["IpRanges"] = [{"CidrIp": props["cidr"], **source}]
            answer = ec2.authorize_security_group_ingress(
                GroupId=props["group_id"],
                IpPermissions=[permission],
                TagSpecifications=_spec("security-group-rule", props),
            )
            rules = answer.get("SecurityGroupRules") or [{}]
            new_id = rules[0].get("SecurityGroupRuleId", f"rule-{res.name}")
        ids[address] = {"id": new_id}
    return {"created": len(ids), "wall": time.perf_counter() - start}
