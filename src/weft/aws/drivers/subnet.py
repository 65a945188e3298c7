"""The fabric's subnets: VPC, CIDR and zone are immutable; public IPs on launch can change."""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2
from weft.core.resource import KindSchema, Observed, Resource

KIND = "subnet"


def _observed(name: str, subnet: dict[str, Any], props: dict[str, Any]) -> Observed:
    outputs = {"arn": subnet["SubnetArn"]} if subnet.get("SubnetArn") else {}
    return Observed(
        kind=KIND,
        name=name,
        id=subnet["SubnetId"],
        props=props,
        outputs=outputs,
        state=subnet.get("State", "available"),
    )


class SubnetDriver:
    schema = KindSchema(kind=KIND, immutable=frozenset({"vpc_id", "cidr", "zone"}))

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for subnet in ec2.describe_tagged(ctx, "describe_subnets", "Subnets", address=address):
            tags = tagging.from_aws(subnet.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None:
                continue
            props = {
                "vpc_id": subnet["VpcId"],
                "cidr": subnet["CidrBlock"],
                "zone": subnet["AvailabilityZone"],
                "map_public_ip": bool(subnet.get("MapPublicIpOnLaunch", False)),
                "tags": tags,
            }
            found.append(_observed(name, subnet, props))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        adopted = adoption.adopt(
            self,
            ctx,
            resource,
            props,
            adoption.earlier_attempts(ctx, lambda: self._find(ctx, resource.address)),
        )
        if adopted is not None:
            return adopted
        subnet = ctx.client("ec2").create_subnet(
            VpcId=props["vpc_id"],
            CidrBlock=props["cidr"],
            AvailabilityZone=props["zone"],
            TagSpecifications=tagging.tag_specifications("subnet", props["tags"]),
        )["Subnet"]
        if subnet.get("State") != "available":
            ec2.wait_available(
                ctx, "subnet", "describe_subnets", "Subnets", "SubnetIds", subnet["SubnetId"]
            )
        if props["map_public_ip"]:
            self._set_map_public_ip(ctx, subnet["SubnetId"], True)
        return _observed(resource.name, {**subnet, "State": "available"}, props)

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        if "map_public_ip" in changed:
            self._set_map_public_ip(ctx, observed.id, bool(props["map_public_ip"]))
        if "tags" in changed:
            ec2.update_tags(ctx, observed.id, observed.props.get("tags", {}), props["tags"])
        return Observed(
            kind=KIND,
            name=resource.name,
            id=observed.id,
            props=props,
            outputs={k: v for k, v in observed.outputs.items() if k != "id"},
            state="available",
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_subnet(SubnetId=observed.id)

    @staticmethod
    def _set_map_public_ip(ctx: AwsContext, subnet_id: str, value: bool) -> None:
        ctx.client("ec2").modify_subnet_attribute(
            SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value}
        )


DRIVER = SubnetDriver()
