"""Amazon Managed Service for Prometheus workspaces: where the fabric's collector writes.

Props: ``alias`` (``UpdateWorkspaceAlias``) and ``tags``. Outputs: ``arn`` and ``endpoint``, the
workspace's Prometheus-compatible endpoint (``…/api/v1/query``, ``…/api/v1/remote_write``),
which ``weft status`` shows. Encrypted with a key AWS owns (why not the fabric key:
:mod:`weft.model.prometheus`).

Found by listing the account's workspaces (``ListWorkspaces`` answers each with its tags) and
keeping those tagged with the fabric (described: a summary has no endpoint); a workspace being
deleted is gone already. Created
``CREATING``, usable once ``ACTIVE``; deleting it deletes its metrics.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import amp, kit, pagination, presence
from weft.core.resource import KindSchema, Observed, Resource

KIND = "amp_workspace"


def describe(ctx: AwsContext, workspace_id: str) -> amp.Item | None:
    found = presence.if_found(ctx.client("amp").describe_workspace, workspaceId=workspace_id)
    if found is None:
        return None
    item = dict(found["workspace"])
    return None if amp.status_of(item) == "DELETING" else item


@kit.setter("alias")
def _set_alias(edit: kit.Edit) -> None:
    edit.ctx.client("amp").update_workspace_alias(
        workspaceId=edit.id, alias=str(edit.props["alias"])
    )


class AmpWorkspaceDriver(kit.TaggedDriver):
    setters = (_set_alias, kit.tags(amp.AMP, kit.by_arn))
    schema = KindSchema(KIND, updatable=kit.covered(setters), shown=("alias",))

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for item in pagination.items(ctx.client("amp"), "list_workspaces", "workspaces"):
            tags = dict(item.get("tags") or {})
            name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND, address=address)
            if name is None or amp.status_of(item) == "DELETING":
                continue
            # a summary has no endpoint: the description does
            described = describe(ctx, str(item["workspaceId"]))
            if described is not None:
                found.append(self._observed(name, described))
        return found

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        made = ctx.client("amp").create_workspace(
            alias=str(props["alias"]), tags=dict(props["tags"])
        )
        workspace_id = str(made["workspaceId"])
        item = amp.wait_active(
            ctx,
            f"Prometheus workspace {props['alias']}",
            lambda: describe(ctx, workspace_id),
            address=resource.address,
            hint="delete the failed workspace (weft down, or the AMP console), then re-run",
        )
        return self._observed(resource.name, item)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        presence.if_found(ctx.client("amp").delete_workspace, workspaceId=observed.id)
        amp.wait_gone(
            ctx,
            f"Prometheus workspace {observed.props.get('alias')}",
            lambda: describe(ctx, observed.id),
        )

    def _observed(self, name: str, item: amp.Item) -> Observed:
        props = {"alias": item.get("alias"), "tags": dict(item.get("tags") or {})}
        outputs = {"arn": item["arn"], "endpoint": item.get("prometheusEndpoint")}
        state = "ok" if amp.status_of(item) == "ACTIVE" else amp.status_of(item).lower()
        return self.observed(name, str(item["workspaceId"]), props, outputs, state=state)


DRIVER = AmpWorkspaceDriver()
