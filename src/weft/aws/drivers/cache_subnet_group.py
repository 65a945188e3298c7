"""The ElastiCache subnet group of the fabric's caches (the private subnets).

Found like the RDS one: listed (one paginated describe), filtered by the fabric's name prefix,
then by tags read per group.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, pagination
from weft.aws.drivers.db_subnet_group import is_ours, name_prefix, read_tags, update_tags
from weft.core.resource import KindSchema, Observed, Resource

KIND = "cache_subnet_group"


class CacheSubnetGroupDriver:
    schema = KindSchema(
        kind=KIND, immutable=frozenset({"name"}), unordered=frozenset({"subnet_ids"})
    )

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        client = ctx.client("elasticache")
        prefix = name_prefix(ctx, 255)
        found = []
        for group in pagination.items(client, "describe_cache_subnet_groups", "CacheSubnetGroups"):
            if not str(group["CacheSubnetGroupName"]).startswith(prefix):
                continue
            tags = read_tags(client, group["ARN"])
            name = tagging.name_from_id_tag(tags, KIND)
            if name is None or not is_ours(ctx, tags, address):
                continue
            found.append(_observed(name, group, tags))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        adopted = adoption.adopt(self, ctx, resource, props, self._find(ctx, resource.address))
        if adopted is not None:
            return adopted
        group = ctx.client("elasticache").create_cache_subnet_group(
            CacheSubnetGroupName=props["name"],
            CacheSubnetGroupDescription=props["description"],
            SubnetIds=list(props["subnet_ids"]),
            Tags=tagging.to_aws(props["tags"]),
        )["CacheSubnetGroup"]
        return _observed(resource.name, group, props["tags"])

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        client = ctx.client("elasticache")
        arn = observed.outputs["arn"]
        if changed & {"subnet_ids", "description"}:
            client.modify_cache_subnet_group(
                CacheSubnetGroupName=observed.id,
                CacheSubnetGroupDescription=props["description"],
                SubnetIds=list(props["subnet_ids"]),
            )
        if "tags" in changed:
            update_tags(client, arn, observed.props.get("tags", {}), props["tags"])
        return Observed(
            kind=KIND, name=resource.name, id=observed.id, props=props, outputs={"arn": arn}
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still used by a cache on its way out: CacheSubnetGroupInUse, retried.
        ctx.client("elasticache").delete_cache_subnet_group(CacheSubnetGroupName=observed.id)


def _observed(name: str, group: dict[str, Any], tags: dict[str, str]) -> Observed:
    props = {
        "name": group["CacheSubnetGroupName"],
        "description": group.get("CacheSubnetGroupDescription", ""),
        "subnet_ids": sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
        "tags": tags,
    }
    return Observed(
        kind=KIND,
        name=name,
        id=group["CacheSubnetGroupName"],
        props=props,
        outputs={"arn": group.get("ARN")},
    )


DRIVER = CacheSubnetGroupDriver()
