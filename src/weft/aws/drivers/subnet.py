"""The fabric's subnets: VPC, CIDR and zone are immutable; public IPs on launch can change."""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit
from weft.core.resource import KindSchema, Observed, Resource

KIND = "subnet"


def _outputs(subnet: ec2.Item) -> dict[str, Any]:
    return {"arn": subnet["SubnetArn"]} if subnet.get("SubnetArn") else {}


@kit.setter("map_public_ip")
def _set_map_public_ip(edit: kit.Edit) -> None:
    edit.ctx.client("ec2").modify_subnet_attribute(
        SubnetId=edit.id, MapPublicIpOnLaunch={"Value": bool(edit.props["map_public_ip"])}
    )


class SubnetDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_subnets", "Subnets", "SubnetIds")
    setters = (_set_map_public_ip, ec2.TAGS)
    schema = KindSchema(
        KIND,
        immutable=frozenset({"vpc_id", "cidr", "zone"}),
        updatable=kit.covered(setters),
        shown=("cidr", "zone", "map_public_ip"),
    )
    set_after_create = _set_map_public_ip.fields
    settled_state = "available"

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        props = {
            "vpc_id": item["VpcId"],
            "cidr": item["CidrBlock"],
            "zone": item["AvailabilityZone"],
            "map_public_ip": bool(item.get("MapPublicIpOnLaunch", False)),
            "tags": tags,
        }
        state = item.get("State", "available")
        return self.observed(name, item["SubnetId"], props, _outputs(item), state=state)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        subnet = ctx.client("ec2").create_subnet(
            VpcId=props["vpc_id"],
            CidrBlock=props["cidr"],
            AvailabilityZone=props["zone"],
            TagSpecifications=tagging.tag_specifications("subnet", props["tags"]),
        )["Subnet"]
        if subnet.get("State") != "available":
            self.wait_state(ctx, f"subnet {subnet['SubnetId']}", subnet["SubnetId"])
        made = {**props, "map_public_ip": False}
        return self.observed(
            resource.name, subnet["SubnetId"], made, _outputs(subnet), state="available"
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_subnet(SubnetId=observed.id)


DRIVER = SubnetDriver()
