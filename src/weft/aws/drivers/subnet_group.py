"""Subnet groups of RDS and ElastiCache: one driver, two spellings of the same API.

Both services list subnet groups without a tag filter, take tags as ``Tags`` at creation, modify
the description and subnets in one call, and tag with ``list_tags_for_resource`` /
``add_tags_to_resource`` / ``remove_tags_from_resource`` on an ARN; only the operation and field
names differ (:class:`Api`). Discovery lists the groups (one paginated describe), keeps those
named with the fabric's prefix ``weft-<fabric>-``, reads their tags, and reports those tagged for
this fabric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, pagination
from weft.core.resource import KindSchema, Observed, Resource

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


@dataclass(frozen=True)
class Api:
    """How one service spells the subnet-group calls: ``<Prefix>SubnetGroupName`` and so on."""

    kind: str
    service: str
    #: ``DB`` or ``Cache``: the field names are ``<prefix>SubnetGroupName``, ...Description
    prefix: str
    #: the snake-case word in operation names: ``db`` or ``cache``
    word: str
    arn_field: str

    @property
    def name_field(self) -> str:
        return f"{self.prefix}SubnetGroupName"

    @property
    def description_field(self) -> str:
        return f"{self.prefix}SubnetGroupDescription"

    def op(self, verb: str) -> str:
        return f"{verb}_{self.word}_subnet_group"


class SubnetGroupDriver:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.schema = KindSchema(
            kind=api.kind, immutable=frozenset({"name"}), unordered=frozenset({"subnet_ids"})
        )

    def _find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        api = self.api
        client = ctx.client(api.service)
        prefix = name_prefix(ctx, 255)
        found = []
        groups = pagination.items(client, api.op("describe") + "s", f"{api.prefix}SubnetGroups")
        for group in groups:
            if not str(group[api.name_field]).startswith(prefix):
                continue
            tags = read_tags(client, group[api.arn_field])
            name = tagging.name_from_id_tag(tags, api.kind)
            if name is None or not is_ours(ctx, tags, address):
                continue
            found.append(self._observed(name, group, tags))
        return found

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self._find(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        api = self.api
        adopted = adoption.adopt(self, ctx, resource, props, self._find(ctx, resource.address))
        if adopted is not None:
            return adopted
        create = getattr(ctx.client(api.service), api.op("create"))
        group = create(
            **{api.name_field: props["name"], api.description_field: props["description"]},
            SubnetIds=list(props["subnet_ids"]),
            Tags=tagging.to_aws(props["tags"]),
        )[f"{api.prefix}SubnetGroup"]
        return self._observed(resource.name, group, props["tags"])

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        api = self.api
        client = ctx.client(api.service)
        arn = observed.outputs["arn"]
        if changed & {"subnet_ids", "description"}:
            getattr(client, api.op("modify"))(
                **{api.name_field: observed.id, api.description_field: props["description"]},
                SubnetIds=list(props["subnet_ids"]),
            )
        if "tags" in changed:
            update_tags(client, arn, observed.props.get("tags", {}), props["tags"])
        return Observed(
            kind=api.kind, name=resource.name, id=observed.id, props=props, outputs={"arn": arn}
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still used by a database or cache on its way out (InvalidDBSubnetGroupStateFault,
        # CacheSubnetGroupInUse): temporary, retried.
        api = self.api
        getattr(ctx.client(api.service), api.op("delete"))(**{api.name_field: observed.id})

    def _observed(self, name: str, group: dict[str, Any], tags: dict[str, str]) -> Observed:
        api = self.api
        props = {
            "name": group[api.name_field],
            "description": group.get(api.description_field, ""),
            "subnet_ids": sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
            "tags": tags,
        }
        return Observed(
            kind=api.kind,
            name=name,
            id=group[api.name_field],
            props=props,
            outputs={"arn": group.get(api.arn_field)},
            state=str(group.get("SubnetGroupStatus", "Complete")).lower(),
        )
