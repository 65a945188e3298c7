"""EKS access entries: which IAM principals may authenticate to the fabric's cluster.

An entry names one IAM role or user (``principal_arn``); what it may do is its access policies
(:mod:`.eks_access_policy`). Entries exist only on a cluster whose authentication mode is an API
one (weft's clusters use ``API``: :mod:`.eks_cluster`); on another, discovery finds none.

Tagged at creation and found by those tags (ListAccessEntries, then DescribeAccessEntry for
each: a cluster holds few). EKS keeps one entry per principal: an entry for the principal that
weft did not make (the cluster creator's, which EKS makes itself) is taken over, tags added,
unless another fabric's tags are on it. Only the tags change in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import eks, kit, pagination, presence
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "eks_access_entry"
#: The authentication modes in which a cluster has access entries.
API_MODES = frozenset({"API", "API_AND_CONFIG_MAP"})


def authentication_mode(cluster: Mapping[str, Any]) -> str:
    """A cluster description's authentication mode (EKS's default when it reports none)."""
    return str((cluster.get("accessConfig") or {}).get("authenticationMode") or "CONFIG_MAP")


def describe_entry(ctx: AwsContext, cluster: str, principal: str) -> eks.Item | None:
    found = presence.if_found(
        ctx.client("eks").describe_access_entry, clusterName=cluster, principalArn=principal
    )
    return None if found is None else dict(found["accessEntry"])


def cluster_entries(ctx: AwsContext) -> list[eks.Item]:
    """Every access entry of the fabric's clusters (read once per discovery)."""

    def read() -> list[eks.Item]:
        found = []
        for cluster in eks.fabric_clusters(ctx):
            if authentication_mode(cluster) not in API_MODES:
                continue
            for principal in pagination.items(
                ctx.client("eks"),
                "list_access_entries",
                "accessEntries",
                clusterName=cluster["name"],
            ):
                entry = describe_entry(ctx, cluster["name"], principal)
                if entry is not None:
                    found.append(entry)
        return found

    return ctx.read_once("eks:access-entries", read)


def fabric_entries(ctx: AwsContext, address: str | None = None) -> list[tuple[str, eks.Item]]:
    """(logical name, description) of this fabric's access entries."""
    found = []
    for entry in cluster_entries(ctx):
        name = tagging.owned_name(eks.tags_of(entry), fabric=ctx.fabric, kind=KIND, address=address)
        if name is not None:
            found.append((name, entry))
    return found


class EksAccessEntryDriver(kit.TaggedDriver):
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"cluster_name", "principal_arn"}),
        updatable=frozenset({"tags"}),
        shown=("principal_arn",),
    )
    setters = (eks.TAGS,)
    adoption_look = "never"  # make() itself finds an entry an earlier attempt left

    def observe(self, name: str, entry: Mapping[str, Any]) -> Observed:
        props = {
            "cluster_name": entry["clusterName"],
            "principal_arn": entry["principalArn"],
            "tags": eks.tags_of(entry),
        }
        outputs = {
            "arn": entry["accessEntryArn"],
            "principal_arn": entry["principalArn"],
            "username": entry.get("username"),
        }
        return self.observed(name, str(entry["accessEntryArn"]), props, outputs)

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        return [self.observe(name, entry) for name, entry in fabric_entries(ctx, address)]

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        cluster, principal = props["cluster_name"], props["principal_arn"]
        existing = describe_entry(ctx, cluster, principal)
        if existing is not None:
            tags = eks.tags_of(existing)
            owner = tags.get(tagging.FABRIC_TAG)
            if owner and owner != ctx.fabric:
                raise PermanentError(
                    f"the access entry of {principal} in cluster {cluster} is fabric {owner}'s",
                    address=resource.address,
                    hint="remove the principal from one of the two fabric files",
                )
            ctx.report(f"access entry of {principal}: already there, taken over")
            found = self.observe(resource.name, existing)
            return self.update(ctx, resource, props, found, {"tags"})
        entry = ctx.client("eks").create_access_entry(
            clusterName=cluster,
            principalArn=principal,
            type="STANDARD",
            tags=eks.eks_tags(props["tags"]),
            clientRequestToken=ctx.token(resource.address),
        )["accessEntry"]
        return self.observe(resource.name, entry)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        presence.if_found(
            ctx.client("eks").delete_access_entry,
            clusterName=observed.props["cluster_name"],
            principalArn=observed.props["principal_arn"],
        )


DRIVER = EksAccessEntryDriver()
