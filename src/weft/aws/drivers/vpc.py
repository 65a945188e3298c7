"""The fabric's VPC: its CIDR (immutable) and DNS settings."""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2
from weft.core.resource import KindSchema, Observed, Resource

KIND = "vpc"
_ATTRIBUTES = (
    ("dns_support", "enableDnsSupport", "EnableDnsSupport"),
    ("dns_hostnames", "enableDnsHostnames", "EnableDnsHostnames"),
)


class VpcDriver:
    schema = KindSchema(kind=KIND, immutable=frozenset({"cidr"}))

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for vpc in ec2.describe_tagged(ctx, "describe_vpcs", "Vpcs", address=address):
            tags = tagging.from_aws(vpc.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None:
                continue
            props: dict[str, Any] = {"cidr": vpc["CidrBlock"]}
            for prop, attribute, key in _ATTRIBUTES:
                answer = ctx.client("ec2").describe_vpc_attribute(
                    VpcId=vpc["VpcId"], Attribute=attribute
                )
                props[prop] = bool(answer[key]["Value"])
            props["tags"] = tags
            found.append(
                Observed(
                    kind=KIND,
                    name=name,
                    id=vpc["VpcId"],
                    props=props,
                    state=vpc.get("State", "available"),
                )
            )
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
        vpc = ctx.client("ec2").create_vpc(
            CidrBlock=props["cidr"],
            TagSpecifications=tagging.tag_specifications("vpc", props["tags"]),
        )["Vpc"]
        vpc_id = vpc["VpcId"]
        if vpc.get("State") != "available":
            ec2.wait_available(ctx, "VPC", "describe_vpcs", "Vpcs", "VpcIds", vpc_id)
        self._set_dns(ctx, vpc_id, props)
        return self._observed(resource, vpc_id, props)

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        if changed & {"dns_support", "dns_hostnames"}:
            self._set_dns(ctx, observed.id, props)
        if "tags" in changed:
            ec2.update_tags(ctx, observed.id, observed.props.get("tags", {}), props["tags"])
        return self._observed(resource, observed.id, props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        ctx.client("ec2").delete_vpc(VpcId=observed.id)

    @staticmethod
    def _set_dns(ctx: AwsContext, vpc_id: str, props: dict[str, Any]) -> None:
        # AWS takes one attribute per call, and refuses DNS hostnames without DNS support:
        # turn support on first, or hostnames off first.
        client = ctx.client("ec2")
        order = _ATTRIBUTES if props["dns_support"] else tuple(reversed(_ATTRIBUTES))
        for prop, _attribute, key in order:
            client.modify_vpc_attribute(VpcId=vpc_id, **{key: {"Value": bool(props[prop])}})

    @staticmethod
    def _observed(resource: Resource, vpc_id: str, props: dict[str, Any]) -> Observed:
        return Observed(kind=KIND, name=resource.name, id=vpc_id, props=props, state="available")


DRIVER = VpcDriver()
