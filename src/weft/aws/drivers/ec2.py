"""What the EC2 drivers share: the fabric's tag filters, filtered describes, tag updates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers.pagination import items
from weft.aws.waiting import wait_until


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


def update_tags(
    ctx: AwsContext, resource_id: str, old: Mapping[str, str], new: Mapping[str, str]
) -> None:
    """Make the resource's tags equal ``new`` (``aws:`` keys untouched)."""
    to_set, to_remove = tagging.changes(old, new)
    ec2 = ctx.client("ec2")
    if to_set:
        ec2.create_tags(Resources=[resource_id], Tags=tagging.to_aws(to_set))
    if to_remove:
        ec2.delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in to_remove])


def wait_available(
    ctx: AwsContext, what: str, operation: str, result_key: str, ids_param: str, resource_id: str
) -> None:
    """Poll ``operation`` for one resource until its State is ``available``.

    A "not found" right after creation is eventual consistency, reported as "not visible yet".
    """

    def check() -> bool | str:
        try:
            found = getattr(ctx.client("ec2"), operation)(**{ids_param: [resource_id]})[result_key]
        except ClientError as exc:
            if errors.is_not_found(exc):
                return "not visible yet"
            raise
        state = found[0].get("State", "pending") if found else "not visible yet"
        return True if state == "available" else state

    wait_until(ctx, f"{what} {resource_id}", check, timeout=120, interval=1.0)
