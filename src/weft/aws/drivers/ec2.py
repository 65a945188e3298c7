"""What the EC2 drivers share: the fabric's tag filters, filtered describes, a base driver that
finds its resources with one of them, the tags setter, and waiting on a resource's state."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, presence, tagger
from weft.aws.drivers.pagination import items
from weft.aws.waiting import wait_until
from weft.core.resource import Observed

#: The tags setter of every EC2 resource (by its id).
TAGS = kit.tags(tagger.EC2)

Item = dict[str, Any]
Tags = dict[str, str]


def fabric_filters(ctx: AwsContext, address: str | None = None) -> list[dict[str, Any]]:
    """Server-side filters for this fabric's resources (and one address, when given)."""
    filters: list[dict[str, Any]] = [{"Name": f"tag:{tagging.FABRIC_TAG}", "Values": [ctx.fabric]}]
    if address is not None:
        filters.append({"Name": f"tag:{tagging.ID_TAG}", "Values": [address]})
    return filters


def describe_tagged(
    ctx: AwsContext,
    operation: str,
    result_key: str,
    *,
    address: str | None = None,
    **kwargs: Any,
) -> list[Any]:
    """The fabric's EC2 resources of one type (one filtered, paginated describe).

    The tag filters run server-side; each item's tags are checked again here, so an item that
    does not carry this fabric's tags is never reported whatever the server's filtering did.
    """
    filters = [*fabric_filters(ctx, address), *kwargs.pop("Filters", [])]
    found = []
    for item in items(ctx.client("ec2"), operation, result_key, Filters=filters, **kwargs):
        tags = tagging.from_aws(item.get("Tags"))
        if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
            continue
        if address is not None and tags.get(tagging.ID_TAG) != address:
            continue
        found.append(item)
    return found


@dataclass(frozen=True)
class Describe:
    """How an EC2 resource type is described: the operation, its result key, the parameter
    that names ids, and server-side filters beyond the fabric's tags (live states only, say)."""

    operation: str
    result_key: str
    ids: str
    filters: tuple[dict[str, Any], ...] = ()


class Ec2Driver(kit.TaggedDriver):
    """An EC2 resource type, found with one tag-filtered describe."""

    describe: Describe

    @abstractmethod
    def observe(self, ctx: AwsContext, name: str, item: Item, tags: Tags) -> Observed | None:
        """One described item as an Observed named ``name`` (None: not reported)."""

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        return self.find_filtered(ctx, address)

    def find_filtered(
        self, ctx: AwsContext, address: str | None, filters: list[dict[str, Any]] | None = None
    ) -> list[Observed]:
        d = self.describe
        read = partial(
            describe_tagged,
            ctx,
            d.operation,
            d.result_key,
            address=address,
            Filters=[*d.filters, *(filters or [])],
        )
        if address is None and not filters:
            # drivers of one type (interface and gateway endpoints) share one describe
            key = f"ec2:{d.operation}:{json.dumps(d.filters, sort_keys=True)}"
            described: list[Any] = ctx.read_once(key, read)
        else:
            described = read()
        found = []
        for item in described:
            tags = tagging.from_aws(item.get("Tags"))
            name = tagging.name_from_id_tag(tags, self.schema.kind)
            observed = None if name is None else self.observe(ctx, name, item, tags)
            if observed is not None:
                found.append(observed)
        return found

    def wait_state(
        self, ctx: AwsContext, what: str, resource_id: str, **options: Any
    ) -> Item | None:
        """:func:`wait_state` on one resource of this type."""
        d = self.describe

        def describe() -> list[Item]:
            answer = getattr(ctx.client("ec2"), d.operation)(**{d.ids: [resource_id]})
            return list(answer[d.result_key])

        return wait_state(ctx, what, describe, **options)


def wait_state(
    ctx: AwsContext,
    what: str,
    describe: Callable[[], list[Item]],
    *,
    want: str = "available",
    timeout: float = 120.0,
    interval: float = 1.0,
    failed: Callable[[Item], Exception] | None = None,
) -> Item | None:
    """Poll ``describe`` (the one resource's description, or none) until its State is ``want``.

    A resource not found is "not visible yet" right after creation (eventual consistency), and
    is ``deleted`` when that is what is wanted. A ``failed`` state raises ``failed(item)`` when
    that is given. Returns the last description (None if there was none).
    """
    last: Item = {}

    def check() -> bool | str:
        found = presence.if_found(describe) or []
        if not found:
            return True if want == "deleted" else "not visible yet"
        last.clear()
        last.update(found[0])
        state = str(found[0].get("State", "pending"))
        if state == want:
            return True
        if state == "failed" and failed is not None:
            raise failed(found[0])
        return state

    wait_until(ctx, what, check, timeout=timeout, interval=interval)
    return dict(last) if last else None
