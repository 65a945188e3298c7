"""The fabric's internet gateway, attached to its VPC (attaching is part of creating it)."""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2, kit, presence, tagger
from weft.core.resource import KindSchema, Observed, Resource

KIND = "internet_gateway"


def _attached_vpcs(igw: ec2.Item) -> list[str]:
    states = ("attached", "attaching", "available")
    return [a["VpcId"] for a in igw.get("Attachments", []) if a.get("State") in states]


class InternetGatewayDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_internet_gateways", "InternetGateways", "InternetGatewayIds")
    setters = (ec2.TAGS,)
    schema = KindSchema(KIND, immutable=frozenset({"vpc_id"}), updatable=kit.covered(setters))
    settled_state = "attached"

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        vpcs = _attached_vpcs(item)
        props = {"vpc_id": vpcs[0] if vpcs else None, "tags": tags}
        state = "attached" if vpcs else "detached"
        return self.observed(name, item["InternetGatewayId"], props, state=state)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        candidates = self.earlier_attempts(ctx, resource)
        # A gateway left detached by an interrupted create is adopted too.
        existing = adoption.adoptable(self.schema, candidates, props) or next(
            (c for c in candidates if c.props["vpc_id"] is None), None
        )
        if existing is None:
            existing = self.make(ctx, resource, props)
        else:
            tagger.EC2.ensure(ctx, existing.id, existing.props.get("tags", {}), props["tags"])
        if existing.props["vpc_id"] != props["vpc_id"]:
            ctx.client("ec2").attach_internet_gateway(
                InternetGatewayId=existing.id, VpcId=props["vpc_id"]
            )
        return self.observed(resource.name, existing.id, props, state="attached")

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        igw = ctx.client("ec2").create_internet_gateway(
            TagSpecifications=tagging.tag_specifications("internet-gateway", props["tags"])
        )["InternetGateway"]
        return self.observed(resource.name, igw["InternetGatewayId"], {**props, "vpc_id": None})

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("ec2")
        found = presence.if_found(
            client.describe_internet_gateways, InternetGatewayIds=[observed.id]
        )
        if found is None:
            return
        for igw in found["InternetGateways"]:
            for vpc_id in _attached_vpcs(igw):
                client.detach_internet_gateway(InternetGatewayId=observed.id, VpcId=vpc_id)
        client.delete_internet_gateway(InternetGatewayId=observed.id)


DRIVER = InternetGatewayDriver()
