"""The fabric bucket (versioned, encrypted, private): it holds the lock, journal and secrets.

Its name is fixed by fabric, account and region, so it is found without a search; it is adopted
only when tagged ``weft:fabric`` = this fabric. What is kept in it: :mod:`weft.aws.fabric_store`.
"""

from __future__ import annotations

from weft.aws import bucket_contents
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, presence, s3_bucket
from weft.core.resource import KindSchema, Observed
from weft.errors import PermanentError
from weft.model.addresses import FABRIC_BUCKET

KIND = "fabric_bucket"


class FabricBucketDriver(s3_bucket.S3BucketDriver):
    setters = s3_bucket.setters(with_kms_key=False)
    schema = KindSchema(kind=KIND, immutable=frozenset({"bucket"}), updatable=kit.covered(setters))
    set_after_create = kit.covered(setters)

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        bucket = ctx.fabric_bucket
        if presence.if_found(ctx.client("s3").head_bucket, Bucket=bucket) is None:
            return []
        tags = s3_bucket.read_tags(ctx, bucket)
        if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
            raise PermanentError(
                f"bucket {bucket} exists but is not this fabric's "
                f"(its {tagging.FABRIC_TAG} tag is {tags.get(tagging.FABRIC_TAG)!r})",
                address=FABRIC_BUCKET,
                hint=(
                    "weft adopts only a bucket tagged with its fabric; if this bucket is left "
                    f"from an interrupted weft run, tag it {tagging.FABRIC_TAG}={ctx.fabric}"
                ),
            )
        name = tagging.name_from_id_tag(tags, KIND) or "fabric"
        return [self._observed(ctx, name, bucket, self._read_props(ctx, bucket, tags))]

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        """Delete every object version and delete marker, then the bucket."""
        bucket = observed.id
        deleted = bucket_contents.empty(ctx, bucket, observed.address)
        if deleted:
            ctx.report(f"deleted {deleted} object versions from {bucket}")
        ctx.client("s3").delete_bucket(Bucket=bucket)


DRIVER = FabricBucketDriver()
