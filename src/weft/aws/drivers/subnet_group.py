"""Subnet groups of RDS and ElastiCache: one driver, two spellings of the same API.

Both services list subnet groups without a tag filter, take tags as ``Tags`` at creation, modify
the description and subnets in one call, and tag on an ARN; only the operation and field names
differ (:class:`Api`). Discovery lists the groups (one paginated describe), keeps those named
with the fabric's prefix ``weft-<fabric>-``, reads their tags, and reports those tagged for this
fabric (:mod:`.rds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, pagination, rds
from weft.aws.drivers.tagger import Tagger
from weft.core.resource import KindSchema, Observed, Resource


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
    tagger: Tagger

    @property
    def name_field(self) -> str:
        return f"{self.prefix}SubnetGroupName"

    @property
    def description_field(self) -> str:
        return f"{self.prefix}SubnetGroupDescription"

    def op(self, verb: str) -> str:
        return f"{verb}_{self.word}_subnet_group"


class SubnetGroupDriver(kit.TaggedDriver):
    adoption_look = "always"

    def __init__(self, api: Api) -> None:
        self.api = api
        self.setters = (kit.Setter(frozenset({"subnet_ids", "description"}), self._modify),)
        self.setters += (kit.tags(api.tagger, kit.by_arn),)
        self.schema = KindSchema(
            kind=api.kind,
            immutable=frozenset({"name"}),
            unordered=frozenset({"subnet_ids"}),
            updatable=kit.covered(self.setters),
        )

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        api = self.api
        client = ctx.client(api.service)
        prefix = rds.name_prefix(ctx, 255)
        found = []
        groups = pagination.items(client, api.op("describe") + "s", f"{api.prefix}SubnetGroups")
        for group in groups:
            if not str(group[api.name_field]).startswith(prefix):
                continue
            tags = rds.read_tags(client, group[api.arn_field])
            name = tagging.owned_name(tags, fabric=ctx.fabric, kind=api.kind, address=address)
            if name is not None:
                found.append(self._observed(name, group, tags))
        return found

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        api = self.api
        create = getattr(ctx.client(api.service), api.op("create"))
        group = create(
            **{api.name_field: props["name"], api.description_field: props["description"]},
            SubnetIds=list(props["subnet_ids"]),
            Tags=tagging.to_aws(props["tags"]),
        )[f"{api.prefix}SubnetGroup"]
        return self._observed(resource.name, group, props["tags"])

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        # Still used by a database or cache on its way out (InvalidDBSubnetGroupStateFault,
        # CacheSubnetGroupInUse): temporary, retried.
        api = self.api
        getattr(ctx.client(api.service), api.op("delete"))(**{api.name_field: observed.id})

    def _modify(self, edit: kit.Edit) -> None:
        api = self.api
        getattr(edit.ctx.client(api.service), api.op("modify"))(
            **{api.name_field: edit.id, api.description_field: edit.props["description"]},
            SubnetIds=list(edit.props["subnet_ids"]),
        )

    def _observed(self, name: str, group: dict[str, Any], tags: dict[str, str]) -> Observed:
        api = self.api
        props = {
            "name": group[api.name_field],
            "description": group.get(api.description_field, ""),
            "subnet_ids": sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
            "tags": tags,
        }
        state = str(group.get("SubnetGroupStatus", "Complete")).lower()
        return self.observed(
            name, group[api.name_field], props, {"arn": group.get(api.arn_field)}, state=state
        )
