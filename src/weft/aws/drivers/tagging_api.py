"""Finding resources through the Resource Groups Tagging API: for the services whose own list
calls have no tag filter and no tags (KMS keys, S3 buckets), one paginated ``GetResources``
gives this fabric's ARNs of a type with their tags."""

from __future__ import annotations

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import pagination


def tagged(
    ctx: AwsContext, resource_type: str, address: str | None = None
) -> list[tuple[str, dict[str, str]]]:
    """``(ARN, tags)`` of this fabric's resources of ``resource_type`` (``kms:key``,
    ``s3:bucket``), of ``address`` only when given; the tags without ``aws:`` keys."""
    tag_filters = [{"Key": tagging.FABRIC_TAG, "Values": [ctx.fabric]}]
    if address is not None:
        tag_filters.append({"Key": tagging.ID_TAG, "Values": [address]})
    mappings = pagination.items(
        ctx.client("resourcegroupstaggingapi"),
        "get_resources",
        "ResourceTagMappingList",
        TagFilters=tag_filters,
        ResourceTypeFilters=[resource_type],
    )
    return [(str(m["ResourceARN"]), tagging.from_aws(m.get("Tags"))) for m in mappings]
