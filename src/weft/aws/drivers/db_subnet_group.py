"""The RDS subnet group of the fabric's databases (the private subnets).

RDS has no tag filter: groups are listed (one paginated describe), those named with the fabric's
prefix ``weft-<fabric>-`` have their tags read, and only those tagged for this fabric are kept.

The tag helpers here serve ElastiCache too: both services spell tagging the same way
(``list_tags_for_resource`` / ``add_tags_to_resource`` / ``remove_tags_from_resource`` with an ARN
as ``ResourceName``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, pagination
from weft.core.resource import KindSchema, Observed, Resource

KIND = "db_subnet_group"
#: the room ``weft.model.naming.bounded`` keeps for a digest when it shortens a name
_DIGEST_ROOM = 7


def name_prefix(ctx: AwsContext, limit: int) -> str:
    """The prefix every name weft gives this fabric's resources starts with (even shortened)."""
    return f"weft-{ctx.fabric}-"[: limit - _DIGEST_ROOM]


def read_tags(client: Any, arn: str) -> dict[str, str]:
    """An RDS or ElastiCache resource's tags."""
    return tagging.from_aws(client.list_tags_for_resource(ResourceName=arn).get("TagList"))


def update_tags(client: Any, arn: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
    """Make an RDS or ElastiCache resource's tags equal ``new`` (``aws:`` keys untouched)."""
    to_set, to_remove = tagging.changes(old, new)
    if to_set:
        client.add_tags_to_resource(ResourceName=arn, Tags=tagging.to_aws(to_set))
    if to_remove:
        client.remove_tags_from_resource(ResourceName=arn, TagKeys=to_remove)


def is_ours(ctx: AwsContext, tags: Mapping[str, str], address: str | None) -> bool:
    if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
        return False
    return address is None or tags.get(tagging.ID_TAG) == address


class DbSubnetGroupDriver:
    schema = KindSchema(
        kind=KIND, immutable=frozenset({"name"}), unordered=frozenset({"subnet_ids"})
    )

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        rds = ctx.client("rds")
        prefix = name_prefix(ctx, 255)
        found = []
        for group in pagination.items(rds, "describe_db_subnet_groups", "DBSubnetGroups"):
            if not str(group["DBSubnetGroupName"]).startswith(prefix):
                continue
            tags = read_tags(rds, group["DBSubnetGroupArn"])
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
        group = ctx.client("rds").create_db_subnet_group(
            DBSubnetGroupName=props["name"],
            DBSubnetGroupDescription=props["description"],
            SubnetIds=list(props["subnet_ids"]),
            Tags=tagging.to_aws(props["tags"]),
        )["DBSubnetGroup"]
        return _observed(resource.name, group, props["tags"])

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        rds = ctx.client("rds")
        arn = observed.outputs["arn"]
        if changed & {"subnet_ids", "description"}:
            rds.modify_db_subnet_group(
                DBSubnetGroupName=observed.id,
                DBSubnetGroupDescription=props["description"],
                SubnetIds=list(props["subnet_ids"]),
            )
        if "tags" in changed:
            update_tags(rds, arn, observed.props.get("tags", {}), props["tags"])
        return Observed(
            kind=KIND, name=resource.name, id=observed.id, props=props, outputs={"arn": arn}
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still used by a database on its way out: InvalidDBSubnetGroupStateFault, retried.
        ctx.client("rds").delete_db_subnet_group(DBSubnetGroupName=observed.id)


def _observed(name: str, group: dict[str, Any], tags: dict[str, str]) -> Observed:
    props = {
        "name": group["DBSubnetGroupName"],
        "description": group.get("DBSubnetGroupDescription", ""),
        "subnet_ids": sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
        "tags": tags,
    }
    return Observed(
        kind=KIND,
        name=name,
        id=group["DBSubnetGroupName"],
        props=props,
        outputs={"arn": group.get("DBSubnetGroupArn")},
        state=str(group.get("SubnetGroupStatus", "Complete")).lower(),
    )


DRIVER = DbSubnetGroupDriver()
