"""What the sweepers share: the driver verbs weft never uses on them, batched tag reads, and
their reads with AWS errors translated."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.sweep.scope import Scope
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

#: ELB and ELBv2 DescribeTags take at most 20 resources per call.
TAG_BATCH = 20


def batches(values: Iterable[str], size: int = TAG_BATCH) -> Iterator[list[str]]:
    batch: list[str] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def raw_tags(tags: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """Every tag, ``aws:`` ones included (the EKS cluster security group is known by one)."""
    return {str(t.get("Key", "")): str(t.get("Value", "")) for t in tags or () if t.get("Key")}


def tags_in_batches(
    names: list[str], read: Callable[[list[str]], list[tuple[str, dict[str, str]]]]
) -> dict[str, dict[str, str]]:
    """``read`` called on batches of ``names``; every name's tags."""
    tags: dict[str, dict[str, str]] = {}
    for batch in batches(names):
        for name, found in read(batch):
            tags[name] = found
    return tags


def elbv2_tags(client: Any, arns: list[str]) -> dict[str, dict[str, str]]:
    """The tags of ELBv2 load balancers or target groups, by ARN (one call per 20)."""

    def read(batch: list[str]) -> list[tuple[str, dict[str, str]]]:
        answer = client.describe_tags(ResourceArns=batch)
        return [(d["ResourceArn"], raw_tags(d.get("Tags"))) for d in answer["TagDescriptions"]]

    return tags_in_batches(arns, read)


class Sweeper:
    """The driver contract for resources weft only ever deletes."""

    schema = KindSchema(kind="sweep")
    #: a few words for reports: "load balancer", "volume"...
    noun = "resource"

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def scan(self, ctx: AwsContext, *, everything: bool = False) -> list[Observed]:
        """What the scope claims; with ``everything``, also what cannot be deleted yet."""
        raise NotImplementedError

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self.scan(ctx)

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        raise PermanentError(
            f"weft does not create {self.noun}s: it only sweeps them", address=resource.address
        )

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        raise PermanentError(
            f"weft does not update {self.noun}s: it only sweeps them", address=resource.address
        )

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        raise NotImplementedError


def scan(sweeper: Sweeper, ctx: AwsContext, *, subject: str) -> list[Observed]:
    """Everything ``sweeper`` claims (``everything=True``); a failed read is raised as a weft
    error naming ``subject``."""
    try:
        return sweeper.scan(ctx, everything=True)
    except (ClientError, BotoCoreError) as exc:
        raise errors.translate(exc, address=None, action="read", subject=subject) from exc


def cluster_exists(ctx: AwsContext, name: str) -> bool:
    """An EKS cluster of this name exists (in any state, deleting included)."""
    try:
        ctx.client("eks").describe_cluster(name=name)
    except ClientError as exc:
        if errors.is_not_found(exc):
            return False
        raise errors.translate(exc, address=None, action="read", subject="eks cluster") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=None, action="read", subject="eks cluster") from exc
    return True
