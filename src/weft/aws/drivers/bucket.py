"""Application S3 buckets: versioned or not, SSE-KMS with the fabric key, never public.

The S3 code is the fabric bucket's (:class:`weft.aws.drivers.s3_bucket.S3BucketDriver`). Buckets are
found through the Resource Groups Tagging API (S3 has no tag filter of its own): one paginated
call gives this fabric's bucket ARNs with their tags; then each bucket's settings are read.

Deleting a bucket that still holds objects is refused, because that is the user's data. To let
weft empty it first (``--delete-data``), apply with a driver made for it::

    drivers = {**DRIVERS, "bucket": BucketDriver(delete_data=True)}
    AwsApplier(ctx, drivers)
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from weft.aws import bucket_contents, errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, s3_bucket, tagging_api
from weft.core.resource import KindSchema, Observed
from weft.errors import PermanentError

KIND = "bucket"


class BucketDriver(s3_bucket.S3BucketDriver):
    setters = s3_bucket.setters(with_kms_key=True)
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"bucket"}),
        updatable=kit.covered(setters),
        shown=("bucket", "versioning"),
    )
    set_after_create = kit.covered(setters)
    with_kms_key = True

    def __init__(self, *, delete_data: bool = False) -> None:
        #: empty a bucket that holds objects before deleting it (else refuse)
        self.delete_data = delete_data

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        for arn, tags in tagging_api.tagged(ctx, "s3:bucket", address):
            name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND)
            bucket = arn.rsplit(":", 1)[-1]
            if name is None or bucket == ctx.fabric_bucket:
                continue
            try:
                props = self._read_props(ctx, bucket, tags)
            except ClientError as exc:
                if errors.is_no_such_bucket(exc):  # deleted since the tagging API indexed it
                    continue
                raise
            found.append(self._observed(ctx, name, bucket, props))
        return found

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        bucket = observed.id
        s3 = ctx.client("s3")
        count = bucket_contents.count_objects(ctx, bucket)  # NoSuchBucket: already gone
        if count and not self.delete_data:
            raise PermanentError(
                f"bucket {bucket} is not empty: weft does not delete data",
                address=observed.address,
                hint=f"it holds {count} objects; empty it first, or pass --delete-data",
            )
        deleted = bucket_contents.empty(ctx, bucket, observed.address)
        if count:
            ctx.report(f"deleted {deleted} object versions from {bucket}")
        s3.delete_bucket(Bucket=bucket)


DRIVER = BucketDriver()
