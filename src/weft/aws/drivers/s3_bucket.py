"""What the fabric bucket and the application buckets share: an S3 bucket's settings.

The two drivers (:mod:`.fabric_bucket`, :mod:`.bucket`) differ in discovery (by name, by tag),
encryption (SSE-S3, SSE-KMS with the fabric key) and delete (emptied, refused while it holds
objects); what a bucket holds is :mod:`weft.aws.bucket_contents`'s.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

ENCRYPTION = "AES256"
_PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _arn(ctx: AwsContext, bucket: str) -> str:
    return f"arn:{_partition(ctx.region)}:s3:::{bucket}"


class S3BucketDriver:
    """What the fabric bucket and the application buckets (:mod:`weft.aws.drivers.bucket`) share.

    Props: ``bucket`` (the name, immutable), ``versioning``, ``encryption`` (the default SSE
    algorithm: ``AES256`` or ``aws:kms``), ``public_access_block`` and ``tags``; with
    ``with_kms_key`` also ``kms_key_arn`` (the key of ``aws:kms`` encryption, S3 Bucket Keys on).
    Subclasses provide ``discover`` and ``delete``.
    """

    schema = KindSchema(kind="s3_bucket", immutable=frozenset({"bucket"}))
    with_kms_key = False

    def _observed(self, ctx: AwsContext, name: str, bucket: str, props: dict[str, Any]) -> Observed:
        return Observed(
            kind=self.schema.kind,
            name=name,
            id=bucket,
            props=props,
            outputs={"arn": _arn(ctx, bucket)},
        )

    def _read_props(self, ctx: AwsContext, bucket: str, tags: dict[str, str]) -> dict[str, Any]:
        s3 = ctx.client("s3")
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
        algorithm, key = self._read_encryption(ctx, bucket)
        props: dict[str, Any] = {
            "bucket": bucket,
            "versioning": versioning,
            "encryption": algorithm,
        }
        if self.with_kms_key:
            props["kms_key_arn"] = key
        props["public_access_block"] = self._read_public_access_block(ctx, bucket)
        props["tags"] = tags
        return props

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        s3 = ctx.client("s3")
        bucket = props["bucket"]
        config: dict[str, Any] = {"Tags": tagging.to_aws(props["tags"])}
        if ctx.region != "us-east-1":
            config["LocationConstraint"] = ctx.region
        try:
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=config)
        except ClientError as exc:
            if not errors.is_already_exists(exc):
                raise
            self._check_adoptable(ctx, resource.address, bucket)
        # Tags first: a bucket without them would not be adopted by the next run.
        self._put_tags(ctx, bucket, props["tags"])
        self._put_versioning(ctx, bucket, props["versioning"])
        self._put_encryption(ctx, bucket, props["encryption"], props.get("kms_key_arn"))
        self._put_public_access_block(ctx, bucket, props["public_access_block"])
        return self._observed(ctx, resource.name, bucket, props)

    def _check_adoptable(self, ctx: AwsContext, address: str, bucket: str) -> None:
        """Our account already has this bucket: take it over only if no other fabric owns it."""
        owner = self._read_tags(ctx, bucket).get(tagging.FABRIC_TAG)
        if owner not in (None, ctx.fabric):
            raise PermanentError(
                f"bucket {bucket} exists and belongs to fabric {owner}",
                address=address,
                hint="choose another bucket name, or remove that fabric first",
            )

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        bucket = observed.id
        if "tags" in changed:
            self._put_tags(ctx, bucket, props["tags"])
        if "versioning" in changed:
            self._put_versioning(ctx, bucket, props["versioning"])
        if changed & {"encryption", "kms_key_arn"}:
            self._put_encryption(ctx, bucket, props["encryption"], props.get("kms_key_arn"))
        if "public_access_block" in changed:
            self._put_public_access_block(ctx, bucket, props["public_access_block"])
        return self._observed(ctx, resource.name, bucket, props)

    # -- settings

    @staticmethod
    def _read_tags(ctx: AwsContext, bucket: str) -> dict[str, str]:
        try:
            answer = ctx.client("s3").get_bucket_tagging(Bucket=bucket)
        except ClientError as exc:
            if errors.is_not_found(exc):  # NoSuchTagSet
                return {}
            raise
        return tagging.from_aws(answer.get("TagSet"))

    @staticmethod
    def _read_encryption(ctx: AwsContext, bucket: str) -> tuple[str | None, str | None]:
        """The default encryption: (algorithm, KMS key) or (None, None) when there is none."""
        try:
            answer = ctx.client("s3").get_bucket_encryption(Bucket=bucket)
        except ClientError as exc:
            if errors.is_not_found(exc):  # no default encryption configured
                return None, None
            raise
        rules = answer.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        for rule in rules:
            default = rule.get("ApplyServerSideEncryptionByDefault") or {}
            if default.get("SSEAlgorithm"):
                key = default.get("KMSMasterKeyID")
                return str(default["SSEAlgorithm"]), str(key) if key else None
        return None, None

    @staticmethod
    def _read_public_access_block(ctx: AwsContext, bucket: str) -> bool:
        try:
            answer = ctx.client("s3").get_public_access_block(Bucket=bucket)
        except ClientError as exc:
            if errors.is_not_found(exc):  # NoSuchPublicAccessBlockConfiguration
                return False
            raise
        config = answer.get("PublicAccessBlockConfiguration", {})
        return all(bool(config.get(k)) for k in _PUBLIC_ACCESS_BLOCK)

    @staticmethod
    def _put_tags(ctx: AwsContext, bucket: str, tags: dict[str, str]) -> None:
        ctx.client("s3").put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tagging.to_aws(tags)})

    @staticmethod
    def _put_versioning(ctx: AwsContext, bucket: str, enabled: bool) -> None:
        status = "Enabled" if enabled else "Suspended"
        ctx.client("s3").put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": status}
        )

    @staticmethod
    def _put_encryption(
        ctx: AwsContext, bucket: str, algorithm: str | None, kms_key_arn: str | None = None
    ) -> None:
        default: dict[str, Any] = {"SSEAlgorithm": algorithm or ENCRYPTION}
        rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
        if default["SSEAlgorithm"] != ENCRYPTION:
            if kms_key_arn:
                default["KMSMasterKeyID"] = kms_key_arn
            rule["BucketKeyEnabled"] = True
        ctx.client("s3").put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}
        )

    @staticmethod
    def _put_public_access_block(ctx: AwsContext, bucket: str, block: bool) -> None:
        s3 = ctx.client("s3")
        if block:
            s3.put_public_access_block(
                Bucket=bucket, PublicAccessBlockConfiguration=dict(_PUBLIC_ACCESS_BLOCK)
            )
        else:
            s3.delete_public_access_block(Bucket=bucket)
