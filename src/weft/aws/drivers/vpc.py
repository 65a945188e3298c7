"""The fabric's VPC: its CIDR (immutable) and DNS settings."""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit
from weft.core.resource import KindSchema, Observed, Resource

KIND = "vpc"
_ATTRIBUTES = (
    ("dns_support", "enableDnsSupport", "EnableDnsSupport"),
    ("dns_hostnames", "enableDnsHostnames", "EnableDnsHostnames"),
)


@kit.setter("dns_support", "dns_hostnames")
def _set_dns(edit: kit.Edit) -> None:
    # AWS takes one attribute per call, and refuses DNS hostnames without DNS support:
    # turn support on first, or hostnames off first.
    client = edit.ctx.client("ec2")
    order = _ATTRIBUTES if edit.props["dns_support"] else tuple(reversed(_ATTRIBUTES))
    for prop, _attribute, key in order:
        client.modify_vpc_attribute(VpcId=edit.id, **{key: {"Value": bool(edit.props[prop])}})


class VpcDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_vpcs", "Vpcs", "VpcIds")
    setters = (_set_dns, ec2.TAGS)
    schema = KindSchema(
        KIND, immutable=frozenset({"cidr"}), updatable=kit.covered(setters), shown=("cidr",)
    )
    # The DNS settings of a new VPC are not read: both are set.
    set_after_create = _set_dns.fields
    settled_state = "available"

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        props: dict[str, Any] = {"cidr": item["CidrBlock"]}
        for prop, attribute, key in _ATTRIBUTES:
            answer = ctx.client("ec2").describe_vpc_attribute(
                VpcId=item["VpcId"], Attribute=attribute
            )
            props[prop] = bool(answer[key]["Value"])
        props["tags"] = tags
        return self.observed(name, item["VpcId"], props, state=item.get("State", "available"))

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        vpc = ctx.client("ec2").create_vpc(
            CidrBlock=props["cidr"],
            TagSpecifications=tagging.tag_specifications("vpc", props["tags"]),
        )["Vpc"]
        if vpc.get("State") != "available":
            self.wait_state(ctx, f"VPC {vpc['VpcId']}", vpc["VpcId"])
        unknown = dict.fromkeys(self.set_after_create)
        return self.observed(resource.name, vpc["VpcId"], {**props, **unknown}, state="available")

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_vpc(VpcId=observed.id)


DRIVER = VpcDriver()
