"""Route tables, their routes and their subnet associations.

Only routes weft can make are reported (``Origin: CreateRoute``; the VPC's ``local`` route is
AWS's). Associations cannot be tagged: they are read through their route table, their ids kept in
``outputs["associations"]`` (subnet id -> association id). The VPC's main route table is AWS's and,
never tagged by weft, never seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import ec2, kit, pagination, presence
from weft.core.resource import KindSchema, Observed, Resource, thaw

KIND = "route_table"
_LIVE_ASSOCIATION = ("associated", "associating")


def _route(route: Mapping[str, Any]) -> dict[str, Any]:
    gateway = route.get("GatewayId")
    return {
        "destination": route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock"),
        "gateway_id": gateway if gateway and gateway != "local" else None,
        "nat_gateway_id": route.get("NatGatewayId"),
    }


def _associations(table: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for assoc in table.get("Associations", []):
        state = (assoc.get("AssociationState") or {}).get("State", "associated")
        if not assoc.get("Main") and assoc.get("SubnetId") and state in _LIVE_ASSOCIATION:
            out[assoc["SubnetId"]] = assoc["RouteTableAssociationId"]
    return out


def _target(route: Mapping[str, Any]) -> dict[str, str]:
    if route.get("nat_gateway_id"):
        return {"NatGatewayId": route["nat_gateway_id"]}
    return {"GatewayId": route["gateway_id"]}


def _destination(destination: str) -> dict[str, str]:
    key = "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"
    return {key: destination}


def _sorted_routes(routes: Any) -> list[dict[str, Any]]:
    return sorted(thaw(routes), key=lambda r: r["destination"])


@kit.setter("routes")
def _set_routes(edit: kit.Edit) -> None:
    client = edit.ctx.client("ec2")
    have = {r["destination"]: r for r in edit.old("routes", [])}
    want = {r["destination"]: thaw(r) for r in edit.props["routes"]}
    for destination, route in want.items():
        where = {"RouteTableId": edit.id, **_destination(destination), **_target(route)}
        if destination not in have:
            client.create_route(**where)
        elif have[destination] != route:
            client.replace_route(**where)
    for destination in have.keys() - want.keys():
        presence.if_found(client.delete_route, RouteTableId=edit.id, **_destination(destination))


@kit.setter("subnets")
def _set_subnets(edit: kit.Edit) -> None:
    client = edit.ctx.client("ec2")
    associations = dict(edit.outputs.get("associations", {}))
    want = set(edit.props["subnets"])
    for subnet_id in sorted(set(associations) - want):
        _disassociate(edit.ctx, associations.pop(subnet_id))
    missing = sorted(want - set(associations))
    if missing:
        # A subnet still associated with another route table (being moved here) is moved
        # with replace_route_table_association; associate would be refused.
        elsewhere: dict[str, str] = {}
        for table in pagination.items(
            client,
            "describe_route_tables",
            "RouteTables",
            Filters=[{"Name": "association.subnet-id", "Values": missing}],
        ):
            if table["RouteTableId"] != edit.id:
                elsewhere.update(_associations(table))
        for subnet_id in missing:
            if subnet_id in elsewhere:
                associations[subnet_id] = client.replace_route_table_association(
                    AssociationId=elsewhere[subnet_id], RouteTableId=edit.id
                )["NewAssociationId"]
            else:
                associations[subnet_id] = client.associate_route_table(
                    RouteTableId=edit.id, SubnetId=subnet_id
                )["AssociationId"]
    edit.outputs["associations"] = associations


def _disassociate(ctx: AwsContext, assoc_id: str) -> None:
    presence.if_found(ctx.client("ec2").disassociate_route_table, AssociationId=assoc_id)


class RouteTableDriver(ec2.Ec2Driver):
    describe = ec2.Describe("describe_route_tables", "RouteTables", "RouteTableIds")
    setters = (_set_routes, _set_subnets, ec2.TAGS)
    schema = KindSchema(
        KIND,
        immutable=frozenset({"vpc_id"}),
        unordered=frozenset({"subnets"}),
        updatable=kit.covered(setters),
    )
    set_after_create = frozenset({"routes", "subnets"})

    def observe(self, ctx: AwsContext, name: str, item: ec2.Item, tags: ec2.Tags) -> Observed:
        routes = [
            _route(r)
            for r in item.get("Routes", [])
            if r.get("Origin") == "CreateRoute"
            and (r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock"))
        ]
        associations = _associations(item)
        props = {
            "vpc_id": item["VpcId"],
            "routes": _sorted_routes(routes),
            "subnets": sorted(associations),
            "tags": tags,
        }
        return self.observed(name, item["RouteTableId"], props, {"associations": associations})

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        table = ctx.client("ec2").create_route_table(
            VpcId=props["vpc_id"],
            ClientToken=ctx.token(resource.address),
            TagSpecifications=tagging.tag_specifications("route-table", props["tags"]),
        )["RouteTable"]
        return self.observe(ctx, resource.name, table, props["tags"])

    def updated(self, edit: kit.Edit) -> Observed:
        props = {
            **edit.props,
            "routes": _sorted_routes(edit.props["routes"]),
            "subnets": sorted(edit.props["subnets"]),
        }
        return self.observed(edit.resource.name, edit.id, props, edit.outputs)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("ec2")
        found = presence.if_found(client.describe_route_tables, RouteTableIds=[observed.id])
        if found is None:
            return
        for table in found["RouteTables"]:
            for assoc_id in _associations(table).values():
                _disassociate(ctx, assoc_id)
        client.delete_route_table(RouteTableId=observed.id)


DRIVER = RouteTableDriver()
