"""Route tables, their routes and their subnet associations.

Only routes weft can make are reported (``Origin: CreateRoute``; the VPC's ``local`` route is
AWS's). Associations cannot be tagged: they are read through their route table, their ids kept in
``outputs["associations"]`` (subnet id -> association id). The VPC's main route table is AWS's and,
never tagged by weft, never seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, ec2, pagination
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


def _observe(name: str, table: Mapping[str, Any], tags: dict[str, str]) -> Observed:
    routes = [
        _route(r)
        for r in table.get("Routes", [])
        if r.get("Origin") == "CreateRoute"
        and (r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock"))
    ]
    associations = _associations(table)
    props = {
        "vpc_id": table["VpcId"],
        "routes": sorted(routes, key=lambda r: r["destination"]),
        "subnets": sorted(associations),
        "tags": tags,
    }
    return Observed(
        kind=KIND,
        name=name,
        id=table["RouteTableId"],
        props=props,
        outputs={"associations": associations},
    )


def _target(route: Mapping[str, Any]) -> dict[str, str]:
    if route.get("nat_gateway_id"):
        return {"NatGatewayId": route["nat_gateway_id"]}
    return {"GatewayId": route["gateway_id"]}


class RouteTableDriver:
    schema = KindSchema(
        kind=KIND, immutable=frozenset({"vpc_id"}), unordered=frozenset({"subnets"})
    )

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for table in ec2.describe_tagged(
            ctx, "describe_route_tables", "RouteTables", address=address
        ):
            tags = tagging.from_aws(table.get("Tags"))
            name = tagging.name_from_id_tag(tags, KIND)
            if name is not None:
                found.append(_observe(name, table, tags))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        existing = adoption.adoptable(
            self.schema,
            adoption.earlier_attempts(ctx, lambda: self._find(ctx, resource.address)),
            props,
        )
        if existing is None:
            table = ctx.client("ec2").create_route_table(
                VpcId=props["vpc_id"],
                ClientToken=ctx.token(resource.address),
                TagSpecifications=tagging.tag_specifications("route-table", props["tags"]),
            )["RouteTable"]
            existing = _observe(resource.name, table, props["tags"])
        changed = adoption.changed_fields(self.schema, existing.props, props)
        return self.update(ctx, resource, props, existing, changed)

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        table_id = observed.id
        if "routes" in changed:
            self._reconcile_routes(ctx, table_id, observed.props.get("routes", ()), props["routes"])
        associations = dict(thaw(observed.outputs.get("associations", {})))
        if "subnets" in changed:
            associations = self._reconcile_subnets(ctx, table_id, associations, props["subnets"])
        if "tags" in changed:
            ec2.update_tags(ctx, table_id, observed.props.get("tags", {}), props["tags"])
        new_props = {
            **props,
            "routes": sorted(thaw(props["routes"]), key=lambda r: r["destination"]),
            "subnets": sorted(props["subnets"]),
        }
        return Observed(
            kind=KIND,
            name=resource.name,
            id=table_id,
            props=new_props,
            outputs={"associations": associations},
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        client = ctx.client("ec2")
        try:
            tables = client.describe_route_tables(RouteTableIds=[observed.id])["RouteTables"]
        except ClientError as exc:
            if errors.is_not_found(exc):
                return
            raise
        for table in tables:
            for assoc_id in _associations(table).values():
                self._disassociate(ctx, assoc_id)
        client.delete_route_table(RouteTableId=observed.id)

    @staticmethod
    def _reconcile_routes(ctx: AwsContext, table_id: str, current: Any, desired: Any) -> None:
        client = ctx.client("ec2")
        have = {r["destination"]: thaw(r) for r in current}
        want = {r["destination"]: thaw(r) for r in desired}
        for destination, route in want.items():
            key = "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"
            if destination not in have:
                client.create_route(RouteTableId=table_id, **{key: destination}, **_target(route))
            elif have[destination] != route:
                client.replace_route(RouteTableId=table_id, **{key: destination}, **_target(route))
        for destination in have.keys() - want.keys():
            key = "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"
            try:
                client.delete_route(RouteTableId=table_id, **{key: destination})
            except ClientError as exc:
                if not errors.is_not_found(exc):
                    raise

    def _reconcile_subnets(
        self,
        ctx: AwsContext,
        table_id: str,
        associations: dict[str, str],
        desired: Any,
    ) -> dict[str, str]:
        client = ctx.client("ec2")
        want = set(desired)
        for subnet_id in sorted(set(associations) - want):
            self._disassociate(ctx, associations.pop(subnet_id))
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
                if table["RouteTableId"] != table_id:
                    elsewhere.update(_associations(table))
            for subnet_id in missing:
                if subnet_id in elsewhere:
                    assoc_id = client.replace_route_table_association(
                        AssociationId=elsewhere[subnet_id], RouteTableId=table_id
                    )["NewAssociationId"]
                else:
                    assoc_id = client.associate_route_table(
                        RouteTableId=table_id, SubnetId=subnet_id
                    )["AssociationId"]
                associations[subnet_id] = assoc_id
        return associations

    @staticmethod
    def _disassociate(ctx: AwsContext, assoc_id: str) -> None:
        try:
            ctx.client("ec2").disassociate_route_table(AssociationId=assoc_id)
        except ClientError as exc:
            if not errors.is_not_found(exc):
                raise


DRIVER = RouteTableDriver()
