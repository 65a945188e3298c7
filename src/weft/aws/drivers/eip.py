"""Elastic IP addresses (for the NAT gateways). Only their tags can change."""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit
from weft.core.resource import KindSchema, Observed, Resource

KIND = "eip"


class EipDriver(ec2.Ec2Driver):
    # describe_addresses has no paginator: one call returns every address.
    describe = ec2.Describe("describe_addresses", "Addresses", "AllocationIds")
    setters = (ec2.TAGS,)
    schema = KindSchema(KIND, updatable=kit.covered(setters))

    def observe(
        self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags
    ) -> Observed | None:
        if not item.get("AllocationId"):
            return None
        return self._observed(name, item, {"tags": tags})

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        eip = ctx.client("ec2").allocate_address(
            Domain="vpc",
            TagSpecifications=tagging.tag_specifications("elastic-ip", props["tags"]),
        )
        return self._observed(resource.name, eip, props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still held by a NAT gateway on its way out: InvalidIPAddress.InUse, which is temporary.
        ctx.client("ec2").release_address(AllocationId=observed.id)

    def _observed(self, name: str, eip: ec2.Item, props: dict[str, Any]) -> Observed:
        state = "associated" if eip.get("AssociationId") else "unassociated"
        outputs = {"public_ip": eip.get("PublicIp")}
        return self.observed(name, eip["AllocationId"], props, outputs, state=state)


DRIVER = EipDriver()
