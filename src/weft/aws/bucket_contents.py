"""What an S3 bucket holds: its object versions counted, or all deleted.

A versioned bucket keeps every version and delete marker of its objects; a bucket is empty only
when all of them are gone, and "holds data" means it has at least one object version.
"""

from __future__ import annotations

from collections.abc import Iterator

from weft.aws.context import AwsContext
from weft.errors import TemporaryError

_BATCH = 1000


def versions(ctx: AwsContext, bucket: str) -> Iterator[tuple[dict[str, str], bool]]:
    """Every object version and delete marker: ({Key, VersionId}, is_delete_marker)."""
    for page in ctx.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in page.get("Versions", []) or []:
            yield {"Key": entry["Key"], "VersionId": entry["VersionId"]}, False
        for entry in page.get("DeleteMarkers", []) or []:
            yield {"Key": entry["Key"], "VersionId": entry["VersionId"]}, True


def count_objects(ctx: AwsContext, bucket: str) -> int:
    """How many object versions the bucket holds (delete markers not counted)."""
    return sum(1 for _, marker in versions(ctx, bucket) if not marker)


def empty(ctx: AwsContext, bucket: str, address: str) -> int:
    """Delete every object version and delete marker; how many were deleted."""
    batch: list[dict[str, str]] = []
    deleted = 0
    for entry, _marker in versions(ctx, bucket):
        batch.append(entry)
        if len(batch) == _BATCH:
            deleted += _delete_batch(ctx, bucket, batch, address)
            batch = []
    if batch:
        deleted += _delete_batch(ctx, bucket, batch, address)
    return deleted


def _delete_batch(ctx: AwsContext, bucket: str, batch: list[dict[str, str]], address: str) -> int:
    answer = ctx.client("s3").delete_objects(
        Bucket=bucket, Delete={"Objects": batch, "Quiet": True}
    )
    failed = answer.get("Errors") or []
    if failed:
        first = failed[0]
        raise TemporaryError(
            f"could not delete {len(failed)} objects from bucket {bucket}: "
            f"{first.get('Key')}: {first.get('Message')}",
            address=address,
            code=first.get("Code"),
        )
    return len(batch)
