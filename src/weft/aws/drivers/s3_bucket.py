"""What the fabric bucket and the application buckets share: an S3 bucket's settings.

The two drivers (:mod:`.fabric_bucket`, :mod:`.bucket`) differ in discovery (by name, by tag),
encryption (SSE-S3, SSE-KMS with the fabric key) and delete (emptied, refused while it holds
objects); what a bucket holds is :mod:`weft.aws.bucket_contents`'s.
"""

from __future__ import annotations

from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import kit, presence, tagger
from weft.core.resource import Observed, Resource
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


def read_tags(ctx: AwsContext, bucket: str) -> dict[str, str]:
    """A bucket's tags (none when it has no tag set)."""
    answer = presence.if_found(ctx.client("s3").get_bucket_tagging, Bucket=bucket)
    return tagging.from_aws((answer or {}).get("TagSet"))  # not found: NoSuchTagSet


def _read_encryption(ctx: AwsContext, bucket: str) -> tuple[str | None, str | None]:
    """The default encryption: (algorithm, KMS key) or (None, None) when there is none."""
    answer = presence.if_found(ctx.client("s3").get_bucket_encryption, Bucket=bucket)
    rules = (answer or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm"):
            key = default.get("KMSMasterKeyID")
            return str(default["SSEAlgorithm"]), str(key) if key else None
    return None, None


def _read_public_access_block(ctx: AwsContext, bucket: str) -> bool:
    answer = presence.if_found(ctx.client("s3").get_public_access_block, Bucket=bucket)
    if answer is None:  # NoSuchPublicAccessBlockConfiguration
        return False
    config = answer.get("PublicAccessBlockConfiguration", {})
    return all(bool(config.get(k)) for k in _PUBLIC_ACCESS_BLOCK)


@kit.setter("versioning")
def _set_versioning(edit: kit.Edit) -> None:
    status = "Enabled" if edit.props["versioning"] else "Suspended"
    edit.ctx.client("s3").put_bucket_versioning(
        Bucket=edit.id, VersioningConfiguration={"Status": status}
    )


def _put_encryption(edit: kit.Edit) -> None:
    default: dict[str, Any] = {"SSEAlgorithm": edit.props["encryption"] or ENCRYPTION}
    rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
    if default["SSEAlgorithm"] != ENCRYPTION:
        if edit.props.get("kms_key_arn"):
            default["KMSMasterKeyID"] = edit.props["kms_key_arn"]
        rule["BucketKeyEnabled"] = True
    edit.ctx.client("s3").put_bucket_encryption(
        Bucket=edit.id, ServerSideEncryptionConfiguration={"Rules": [rule]}
    )


@kit.setter("public_access_block")
def _set_public_access_block(edit: kit.Edit) -> None:
    s3 = edit.ctx.client("s3")
    if edit.props["public_access_block"]:
        s3.put_public_access_block(
            Bucket=edit.id, PublicAccessBlockConfiguration=dict(_PUBLIC_ACCESS_BLOCK)
        )
    else:
        s3.delete_public_access_block(Bucket=edit.id)


def setters(*, with_kms_key: bool) -> tuple[kit.Setter, ...]:
    """A bucket's setters, tags first: a bucket without them would not be adopted by the next
    run. With ``with_kms_key``, the encryption's key too."""
    encryption = {"encryption", "kms_key_arn"} if with_kms_key else {"encryption"}
    return (
        kit.tags(tagger.S3_BUCKET),
        _set_versioning,
        kit.Setter(frozenset(encryption), _put_encryption),
        _set_public_access_block,
    )


class S3BucketDriver(kit.TaggedDriver):
    """What the fabric bucket and the application buckets (:mod:`weft.aws.drivers.bucket`) share.

    Props: ``bucket`` (the name, immutable), ``versioning``, ``encryption`` (the default SSE
    algorithm: ``AES256`` or ``aws:kms``), ``public_access_block`` and ``tags``; with
    ``with_kms_key`` also ``kms_key_arn`` (the key of ``aws:kms`` encryption, S3 Bucket Keys on).
    The bucket's name is its identity: creating it again answers that it exists, and it is taken
    over only when no other fabric owns it; every setting is then set. Subclasses provide
    ``find`` and ``delete``.
    """

    with_kms_key = False
    adoption_look = "never"

    def _observed(self, ctx: AwsContext, name: str, bucket: str, props: dict[str, Any]) -> Observed:
        return self.observed(name, bucket, props, {"arn": _arn(ctx, bucket)})

    def _read_props(self, ctx: AwsContext, bucket: str, tags: dict[str, str]) -> dict[str, Any]:
        s3 = ctx.client("s3")
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
        algorithm, key = _read_encryption(ctx, bucket)
        props: dict[str, Any] = {
            "bucket": bucket,
            "versioning": versioning,
            "encryption": algorithm,
        }
        if self.with_kms_key:
            props["kms_key_arn"] = key
        props["public_access_block"] = _read_public_access_block(ctx, bucket)
        props["tags"] = tags
        return props

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        bucket = props["bucket"]
        config: dict[str, Any] = {"Tags": tagging.to_aws(props["tags"])}
        if ctx.region != "us-east-1":
            config["LocationConstraint"] = ctx.region
        created = presence.unless_exists(
            ctx.client("s3").create_bucket, Bucket=bucket, CreateBucketConfiguration=config
        )
        if created is None:
            # Our account already has this bucket: take it over only if no other fabric owns it.
            owner = read_tags(ctx, bucket).get(tagging.FABRIC_TAG)
            if owner not in (None, ctx.fabric):
                raise PermanentError(
                    f"bucket {bucket} exists and belongs to fabric {owner}",
                    address=resource.address,
                    hint="choose another bucket name, or remove that fabric first",
                )
        # Nothing of the settings is read: every one is set.
        return self._observed(ctx, resource.name, bucket, {"bucket": bucket})
