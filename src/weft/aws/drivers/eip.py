"""Elastic IP addresses (for the NAT gateways). Only their tags can change."""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2
from weft.core.resource import KindSchema, Observed, Resource

KIND = "eip"


def _observed(name: str, address: dict[str, Any], props: dict[str, Any]) -> Observed:
    return Observed(
        kind=KIND,
        name=name,
        id=address["AllocationId"],
        props=props,
        outputs={"public_ip": address.get("PublicIp")},
        state="associated" if address.get("AssociationId") else "unassociated",
    )


class EipDriver:
    schema = KindSchema(kind=KIND)

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        # describe_addresses has no paginator: one call returns every address.
        for eip in ec2.describe_tagged(ctx, "describe_addresses", "Addresses", address=address):
            tags = tagging.from_aws(eip.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None or not eip.get("AllocationId"):
                continue
            found.append(_observed(name, eip, {"tags": tags}))
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
        eip = ctx.client("ec2").allocate_address(
            Domain="vpc",
            TagSpecifications=tagging.tag_specifications("elastic-ip", props["tags"]),
        )
        return _observed(resource.name, eip, props)

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
            kind=KIND,
            name=resource.name,
            id=observed.id,
            props=props,
            outputs={"public_ip": observed.outputs.get("public_ip")},
            state=observed.state,
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still held by a NAT gateway on its way out: InvalidIPAddress.InUse, which is temporary.
        ctx.client("ec2").release_address(AllocationId=observed.id)


DRIVER = EipDriver()
