"""VPC endpoints: how nodes in private subnets without NAT reach AWS (``network.endpoints``).

An interface endpoint (``ecr.api``, ``ecr.dkr``, ``sts``, ``ec2``, ``logs``) puts a network
interface in each private subnet, behind a security group, with private DNS on so the service's
usual name resolves to it; the S3 gateway endpoint adds a route to S3's prefix list in the
private route tables (ECR keeps image layers in S3). See "Access an AWS service using an
interface VPC endpoint" and "Gateway endpoints for Amazon S3" (AWS PrivateLink Guide), and
"Deploy private clusters with limited internet access" (EKS User Guide).

Two kinds, as their changeable parts differ: ``interface_endpoint`` (its subnets and security
groups change in place) and ``gateway_endpoint`` (its route tables do), through
``ModifyVpcEndpoint``; the VPC, the service and private DNS are fixed at creation. The
endpoints are tagged like every resource of the fabric, so ``down`` deletes them and nothing
else.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit, presence
from weft.core.resource import KindSchema, Observed, Resource

INTERFACE = "interface_endpoint"
GATEWAY = "gateway_endpoint"
_GONE = frozenset({"deleted", "deleting", "failed", "rejected", "expired"})


def _modify(field: str, add: str, remove: str) -> kit.Setter:
    @kit.setter(field)
    def set_field(edit: kit.Edit) -> None:
        have = set(edit.old(field, []))
        want = set(edit.props[field])
        if have == want:
            return
        edit.ctx.client("ec2").modify_vpc_endpoint(
            VpcEndpointId=edit.id, **{add: sorted(want - have), remove: sorted(have - want)}
        )

    return set_field


class _EndpointDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointIds")
    endpoint_type: str

    def observe(
        self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags
    ) -> Observed | None:
        state = str(item.get("State", "available")).lower()
        if state in _GONE or item.get("VpcEndpointType") != self.endpoint_type:
            return None
        props = {"vpc_id": item["VpcId"], "service": item["ServiceName"], **self.fields(item)}
        return self.observed(name, item["VpcEndpointId"], {**props, "tags": tags}, state=state)

    def fields(self, item: ec2.Item) -> dict[str, Any]:
        raise NotImplementedError

    def arguments(self, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        made = ctx.client("ec2").create_vpc_endpoint(
            VpcId=props["vpc_id"],
            ServiceName=props["service"],
            VpcEndpointType=self.endpoint_type,
            ClientToken=ctx.token(resource.address),
            TagSpecifications=tagging.tag_specifications("vpc-endpoint", props["tags"]),
            **self.arguments(props),
        )["VpcEndpoint"]
        endpoint_id = made["VpcEndpointId"]
        self.wait_state(ctx, f"VPC endpoint {props['service']}", endpoint_id)
        return self.observed(resource.name, endpoint_id, props, state="available")

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("ec2")
        presence.if_found(client.delete_vpc_endpoints, VpcEndpointIds=[observed.id])
        self.wait_state(ctx, f"deletion of VPC endpoint {observed.id}", observed.id, want="deleted")


class InterfaceEndpointDriver(_EndpointDriver):
    """An interface endpoint: network interfaces in subnets, behind security groups."""

    endpoint_type = "Interface"
    setters = (
        _modify("subnet_ids", "AddSubnetIds", "RemoveSubnetIds"),
        _modify("security_group_ids", "AddSecurityGroupIds", "RemoveSecurityGroupIds"),
        ec2.TAGS,
    )
    schema = KindSchema(
        INTERFACE,
        immutable=frozenset({"vpc_id", "service", "private_dns"}),
        unordered=frozenset({"subnet_ids", "security_group_ids"}),
        updatable=kit.covered(setters),
        shown=("service",),
    )

    def fields(self, item: ec2.Item) -> dict[str, Any]:
        return {
            "subnet_ids": sorted(item.get("SubnetIds") or []),
            "security_group_ids": sorted(g["GroupId"] for g in item.get("Groups") or []),
            "private_dns": bool(item.get("PrivateDnsEnabled")),
        }

    def arguments(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "SubnetIds": sorted(props["subnet_ids"]),
            "SecurityGroupIds": sorted(props["security_group_ids"]),
            "PrivateDnsEnabled": bool(props["private_dns"]),
        }


class GatewayEndpointDriver(_EndpointDriver):
    """A gateway endpoint (S3): a route to the service's prefix list in route tables."""

    endpoint_type = "Gateway"
    setters = (_modify("route_table_ids", "AddRouteTableIds", "RemoveRouteTableIds"), ec2.TAGS)
    schema = KindSchema(
        GATEWAY,
        immutable=frozenset({"vpc_id", "service"}),
        unordered=frozenset({"route_table_ids"}),
        updatable=kit.covered(setters),
        shown=("service",),
    )

    def fields(self, item: ec2.Item) -> dict[str, Any]:
        return {"route_table_ids": sorted(item.get("RouteTableIds") or [])}

    def arguments(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"RouteTableIds": sorted(props["route_table_ids"])}


INTERFACE_DRIVER = InterfaceEndpointDriver()
GATEWAY_DRIVER = GatewayEndpointDriver()
