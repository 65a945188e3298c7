"""Finding resources through the Resource Groups Tagging API: for the services whose own list
calls have no tag filter and no tags (KMS keys, S3 buckets), one paginated ``GetResources``
gives this fabric's ARNs of a type with their tags. In a discovery (a context that shares
reads) the types of :data:`SHARED_TYPES` are read together, in one ``GetResources`` listing
for all of them, and each driver keeps its own type."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import pagination

#: The resource types discovery reads with one listing (``ResourceTypeFilters`` takes several).
SHARED_TYPES = ("kms:key", "s3:bucket")


def type_of(arn: str) -> str:
    """The tagging API's resource type of an ARN (``s3:bucket``, ``kms:key``, ...)."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return ""
    service, resource = parts[2], parts[5]
    if service == "s3":
        return "s3:bucket" if "/" not in resource else "s3:object"
    if "/" not in resource and ":" not in resource:
        return service
    return f"{service}:{re.split('[/:]', resource, maxsplit=1)[0]}"


def _read(
    ctx: AwsContext, resource_types: Sequence[str], address: str | None
) -> list[tuple[str, dict[str, str]]]:
    tag_filters = [{"Key": tagging.FABRIC_TAG, "Values": [ctx.fabric]}]
    if address is not None:
        tag_filters.append({"Key": tagging.ID_TAG, "Values": [address]})
    mappings = pagination.items(
        ctx.client("resourcegroupstaggingapi"),
        "get_resources",
        "ResourceTagMappingList",
        TagFilters=tag_filters,
        ResourceTypeFilters=list(resource_types),
    )
    return [(str(m["ResourceARN"]), tagging.from_aws(m.get("Tags"))) for m in mappings]


def tagged(
    ctx: AwsContext, resource_type: str, address: str | None = None
) -> list[tuple[str, dict[str, str]]]:
    """``(ARN, tags)`` of this fabric's resources of ``resource_type`` (``kms:key``,
    ``s3:bucket``), of ``address`` only when given; the tags without ``aws:`` keys."""
    if address is None and ctx.shared is not None and resource_type in SHARED_TYPES:
        every = ctx.read_once(
            "tagging-api:" + ",".join(SHARED_TYPES), partial(_read, ctx, SHARED_TYPES, None)
        )
        return [(arn, dict(tags)) for arn, tags in every if type_of(arn) == resource_type]
    return _read(ctx, [resource_type], address)
