"""AWS managed collectors (AMP scrapers): the agentless scraper of the fabric's cluster.

Props: ``cluster_arn``, ``subnet_ids`` and ``security_group_ids`` (its ``source``: immutable,
"If you need to update the source of the metrics ... you must delete the scraper and recreate
it", "Scraper configuration", Amazon Managed Service for Prometheus User Guide), ``alias``,
``workspace_arn`` (its destination) and ``scrape_configuration`` (the Prometheus
configuration, as YAML text; sent base64-encoded), which one ``UpdateScraper`` changes in
place, and ``tags``. Outputs: ``arn`` and ``role_arn`` (the service-linked role AMP made for
it, which the cluster's access entry for it names).

Found by listing the account's scrapers (each answered with its tags) and keeping those tagged
with the fabric; ``DescribeScraper`` gives the configuration. Created ``CREATING``, usable once
``ACTIVE`` (a ``CREATION_FAILED`` scraper gives up with AMP's reason); an update goes through
``UPDATING``; a deleted one is ``DELETING`` until gone.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import amp, kit, pagination, presence
from weft.core.resource import KindSchema, Observed, Resource

KIND = "amp_scraper"
HINT = (
    "check that the cluster is ACTIVE with its private endpoint on, and that its subnets and "
    "security groups exist; delete the failed scraper (weft down), then re-run"
)


def describe(ctx: AwsContext, scraper_id: str) -> amp.Item | None:
    found = presence.if_found(ctx.client("amp").describe_scraper, scraperId=scraper_id)
    if found is None:
        return None
    item = dict(found["scraper"])
    return None if amp.status_of(item) == "DELETING" else item


def _blob(props: dict[str, Any]) -> dict[str, bytes]:
    return {"configurationBlob": str(props["scrape_configuration"]).encode()}


def _destination(props: dict[str, Any]) -> dict[str, Any]:
    return {"ampConfiguration": {"workspaceArn": str(props["workspace_arn"])}}


def _wait(ctx: AwsContext, address: str, alias: Any, scraper_id: str) -> amp.Item:
    return amp.wait_active(
        ctx,
        f"Prometheus collector {alias}",
        lambda: describe(ctx, scraper_id),
        address=address,
        hint=HINT,
    )


@kit.setter("alias", "workspace_arn", "scrape_configuration")
def _set_scraper(edit: kit.Edit) -> None:
    edit.ctx.client("amp").update_scraper(
        scraperId=edit.id,
        alias=str(edit.props["alias"]),
        destination=_destination(edit.props),
        scrapeConfiguration=_blob(edit.props),
    )
    _wait(edit.ctx, edit.address, edit.props["alias"], edit.id)


class AmpScraperDriver(kit.TaggedDriver):
    setters = (_set_scraper, kit.tags(amp.AMP, kit.by_arn))
    schema = KindSchema(
        KIND,
        immutable=frozenset({"cluster_arn", "subnet_ids", "security_group_ids"}),
        unordered=frozenset({"subnet_ids", "security_group_ids"}),
        updatable=kit.covered(setters),
        shown=("alias",),
    )

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for summary in pagination.items(ctx.client("amp"), "list_scrapers", "scrapers"):
            tags = dict(summary.get("tags") or {})
            name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND, address=address)
            if name is None or amp.status_of(summary) == "DELETING":
                continue
            item = describe(ctx, str(summary["scraperId"]))
            if item is not None:
                found.append(self._observed(name, item))
        return found

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        made = ctx.client("amp").create_scraper(
            alias=str(props["alias"]),
            source={
                "eksConfiguration": {
                    "clusterArn": str(props["cluster_arn"]),
                    "subnetIds": [str(s) for s in props["subnet_ids"]],
                    "securityGroupIds": [str(s) for s in props["security_group_ids"]],
                }
            },
            destination=_destination(props),
            scrapeConfiguration=_blob(props),
            tags=dict(props["tags"]),
        )
        item = _wait(ctx, resource.address, props["alias"], str(made["scraperId"]))
        return self._observed(resource.name, item)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        presence.if_found(ctx.client("amp").delete_scraper, scraperId=observed.id)
        amp.wait_gone(
            ctx,
            f"Prometheus collector {observed.props.get('alias')}",
            lambda: describe(ctx, observed.id),
        )

    def _observed(self, name: str, item: amp.Item) -> Observed:
        eks = (item.get("source") or {}).get("eksConfiguration") or {}
        blob = (item.get("scrapeConfiguration") or {}).get("configurationBlob") or b""
        text = blob.decode() if isinstance(blob, bytes) else str(blob)
        destination = (item.get("destination") or {}).get("ampConfiguration") or {}
        props = {
            "alias": item.get("alias"),
            "cluster_arn": eks.get("clusterArn"),
            "subnet_ids": list(eks.get("subnetIds") or []),
            "security_group_ids": list(eks.get("securityGroupIds") or []),
            "workspace_arn": destination.get("workspaceArn"),
            "scrape_configuration": text,
            "tags": dict(item.get("tags") or {}),
        }
        outputs = {"arn": item["arn"], "role_arn": item.get("roleArn")}
        state = "ok" if amp.status_of(item) == "ACTIVE" else amp.status_of(item).lower()
        return self.observed(name, str(item["scraperId"]), props, outputs, state=state)


DRIVER = AmpScraperDriver()
