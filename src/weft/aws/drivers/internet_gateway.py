"""The fabric's internet gateway, attached to its VPC (attaching is part of creating it)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2
from weft.core.resource import KindSchema, Observed, Resource

KIND = "internet_gateway"


def _attached_vpcs(igw: dict[str, Any]) -> list[str]:
    return [
        a["VpcId"]
        for a in igw.get("Attachments", [])
        if a.get("State") in ("attached", "attaching", "available")
    ]


class InternetGatewayDriver:
    schema = KindSchema(kind=KIND, immutable=frozenset({"vpc_id"}))

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for igw in ec2.describe_tagged(
            ctx, "describe_internet_gateways", "InternetGateways", address=address
        ):
            tags = tagging.from_aws(igw.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None:
                continue
            vpcs = _attached_vpcs(igw)
            found.append(
                Observed(
                    kind=KIND,
                    name=name,
                    id=igw["InternetGatewayId"],
                    props={"vpc_id": vpcs[0] if vpcs else None, "tags": tags},
                    state="attached" if vpcs else "detached",
                )
            )
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        client = ctx.client("ec2")
        candidates = adoption.earlier_attempts(ctx, lambda: self._find(ctx, resource.address))
        # A gateway left detached by an interrupted create is adopted too.
        existing = adoption.adoptable(self.schema, candidates, props) or next(
            (c for c in candidates if c.props["vpc_id"] is None), None
        )
        if existing is not None:
            igw_id = existing.id
            ec2.update_tags(ctx, igw_id, existing.props.get("tags", {}), props["tags"])
            attached = existing.props["vpc_id"] == props["vpc_id"]
        else:
            igw_id = client.create_internet_gateway(
                TagSpecifications=tagging.tag_specifications("internet-gateway", props["tags"])
            )["InternetGateway"]["InternetGatewayId"]
            attached = False
        if not attached:
            client.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=props["vpc_id"])
        return Observed(kind=KIND, name=resource.name, id=igw_id, props=props, state="attached")

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        if "tags" in changed:
            ec2.update_tags(ctx, observed.id, observed.props.get("tags", {}), props["tags"])
        return Observed(
            kind=KIND, name=resource.name, id=observed.id, props=props, state="attached"
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("ec2")
        try:
            gateways = client.describe_internet_gateways(InternetGatewayIds=[observed.id])[
                "InternetGateways"
            ]
        except ClientError as exc:
            if errors.is_not_found(exc):
                return
            raise
        for igw in gateways:
            for vpc_id in _attached_vpcs(igw):
                client.detach_internet_gateway(InternetGatewayId=observed.id, VpcId=vpc_id)
        client.delete_internet_gateway(InternetGatewayId=observed.id)


DRIVER = InternetGatewayDriver()
