"""The fabric bucket (versioned, encrypted, private), and the apply lock and journal kept in it.

The bucket's name is fixed by fabric, account and region (:attr:`AwsContext.fabric_bucket`), so it
is found without a search; it is adopted only when tagged ``weft:fabric`` = this fabric.

Objects in it::

    lock.json                        the apply lock: who holds it, since when, for which command
    journal/<UTC time>-<run>.json    one entry per apply/destroy (newest last by name)
    secrets/<name>.json              the fabric's secrets (see :mod:`weft.aws.secrets`)

The bucket driver's S3 code (:class:`S3BucketDriver`) is shared with the application buckets
(:mod:`weft.aws.drivers.bucket`), which differ in discovery (by tag), encryption (SSE-KMS with the
fabric key) and delete (refused while they hold objects).

The lock is a conditional put (``If-None-Match: *``): of two writers, S3 lets exactly one create
the object; the other gets 412 and is told who holds the lock.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import LockHeld, NotFound, PermanentError, TemporaryError

KIND = "fabric_bucket"
ADDRESS = f"{KIND}.fabric"
LOCK_KEY = "lock.json"
JOURNAL_PREFIX = "journal/"
ENCRYPTION = "AES256"
_BATCH = 1000
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


# ------------------------------------------------------------------------------ shared S3 bucket


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

    # -- contents

    @staticmethod
    def _versions(ctx: AwsContext, bucket: str) -> Iterator[tuple[dict[str, str], bool]]:
        """Every object version and delete marker: ({Key, VersionId}, is_delete_marker)."""
        for page in ctx.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket):
            for entry in page.get("Versions", []) or []:
                yield {"Key": entry["Key"], "VersionId": entry["VersionId"]}, False
            for entry in page.get("DeleteMarkers", []) or []:
                yield {"Key": entry["Key"], "VersionId": entry["VersionId"]}, True

    @staticmethod
    def count_objects(ctx: AwsContext, bucket: str) -> int:
        """How many object versions the bucket holds (delete markers not counted)."""
        return sum(1 for _, marker in S3BucketDriver._versions(ctx, bucket) if not marker)

    def _empty(self, ctx: AwsContext, bucket: str, address: str) -> int:
        """Delete every object version and delete marker; how many were deleted."""
        batch: list[dict[str, str]] = []
        deleted = 0
        for entry, _marker in self._versions(ctx, bucket):
            batch.append(entry)
            if len(batch) == _BATCH:
                deleted += self._delete_batch(ctx, bucket, batch, address)
                batch = []
        if batch:
            deleted += self._delete_batch(ctx, bucket, batch, address)
        return deleted

    @staticmethod
    def _delete_batch(
        ctx: AwsContext, bucket: str, batch: list[dict[str, str]], address: str = ADDRESS
    ) -> int:
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


# --------------------------------------------------------------------------------------- driver


class FabricBucketDriver(S3BucketDriver):
    schema = KindSchema(kind=KIND, immutable=frozenset({"bucket"}))

    def discover(self, ctx: AwsContext) -> list[Observed]:
        s3 = ctx.client("s3")
        bucket = ctx.fabric_bucket
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError as exc:
            if errors.is_not_found(exc):
                return []
            raise
        tags = self._read_tags(ctx, bucket)
        if tags.get(tagging.FABRIC_TAG) != ctx.fabric:
            raise PermanentError(
                f"bucket {bucket} exists but is not this fabric's "
                f"(its {tagging.FABRIC_TAG} tag is {tags.get(tagging.FABRIC_TAG)!r})",
                address=ADDRESS,
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
        deleted = self._empty(ctx, bucket, observed.address)
        if deleted:
            ctx.report(f"deleted {deleted} object versions from {bucket}")
        ctx.client("s3").delete_bucket(Bucket=bucket)


DRIVER = FabricBucketDriver()


# ----------------------------------------------------------------------------------------- lock


@dataclass(frozen=True)
class LockInfo:
    """Who holds a fabric's apply lock."""

    holder: str
    command: str
    since: str
    run_id: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockInfo:
        return cls(
            holder=str(data.get("holder", "unknown")),
            command=str(data.get("command", "unknown")),
            since=str(data.get("since", "unknown")),
            run_id=str(data.get("run_id", "")),
        )


def default_holder() -> str:
    """``user@host pid N`` for this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _where(ctx: AwsContext, key: str) -> str:
    return f"s3://{ctx.fabric_bucket}/{key}"


def _missing_bucket(ctx: AwsContext) -> NotFound:
    return NotFound(
        f"the fabric bucket {ctx.fabric_bucket} does not exist",
        address=ADDRESS,
        hint="it is made by the first `weft apply` of this fabric",
    )


def read_lock(ctx: AwsContext) -> LockInfo | None:
    """The current lock, or None when the fabric is not locked (or has no bucket yet)."""
    found = _read_lock_object(ctx)
    return found[0] if found else None


def _read_lock_object(ctx: AwsContext) -> tuple[LockInfo, str] | None:
    try:
        answer = ctx.client("s3").get_object(Bucket=ctx.fabric_bucket, Key=LOCK_KEY)
        body = answer["Body"].read()
    except ClientError as exc:
        if errors.is_not_found(exc):
            return None
        raise errors.translate(exc, address=_where(ctx, LOCK_KEY), action="read") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=_where(ctx, LOCK_KEY), action="read") from exc
    try:
        data = json.loads(body)
    except ValueError:
        data = {"holder": "unknown (unreadable lock.json)"}
    return LockInfo.from_dict(data if isinstance(data, dict) else {}), str(answer.get("ETag", ""))


def acquire_lock(ctx: AwsContext, *, command: str, holder: str | None = None) -> LockInfo:
    """Take the fabric's apply lock, or raise :class:`LockHeld` naming who has it."""
    lock = LockInfo(
        holder=holder or default_holder(),
        command=command,
        since=_now().isoformat(timespec="seconds"),
        run_id=ctx.run_id,
    )
    body = json.dumps(lock.to_dict(), indent=2).encode()
    s3 = ctx.client("s3")
    for _ in range(3):
        try:
            s3.put_object(
                Bucket=ctx.fabric_bucket,
                Key=LOCK_KEY,
                Body=body,
                ContentType="application/json",
                IfNoneMatch="*",
            )
            return lock
        except ClientError as exc:
            if errors.is_precondition_failed(exc):
                current = read_lock(ctx)
                if current is None:  # released between our put and our read: try again
                    continue
                raise LockHeld(
                    f"fabric {ctx.fabric} is locked by {current.holder} "
                    f"since {current.since} ({current.command})",
                    hint="wait for it to finish; if that process is gone, run: weft unlock -f FILE",
                ) from exc
            if errors.is_not_found(exc):
                raise _missing_bucket(ctx) from exc
            raise errors.translate(exc, address=_where(ctx, LOCK_KEY), action="create") from exc
        except BotoCoreError as exc:
            raise errors.translate(exc, address=_where(ctx, LOCK_KEY), action="create") from exc
    raise TemporaryError(
        f"could not take the lock of fabric {ctx.fabric}: it kept changing hands",
        address=_where(ctx, LOCK_KEY),
    )


def release_lock(ctx: AwsContext, lock: LockInfo) -> bool:
    """Release ``lock`` if it is still ours (same run id); True when it was removed."""
    current = read_lock(ctx)
    if current is None or current.run_id != lock.run_id:
        return False
    _delete_lock(ctx)
    return True


def break_lock(ctx: AwsContext) -> LockInfo | None:
    """Remove the lock whoever holds it (``weft unlock``); the lock that was removed, if any."""
    current = read_lock(ctx)
    if current is not None:
        _delete_lock(ctx)
    return current


def _delete_lock(ctx: AwsContext) -> None:
    try:
        ctx.client("s3").delete_object(Bucket=ctx.fabric_bucket, Key=LOCK_KEY)
    except ClientError as exc:
        if errors.is_not_found(exc):
            return
        raise errors.translate(exc, address=_where(ctx, LOCK_KEY), action="delete") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=_where(ctx, LOCK_KEY), action="delete") from exc


# -------------------------------------------------------------------------------------- journal


def write_journal(ctx: AwsContext, entry: dict[str, Any]) -> str:
    """Store one journal entry (JSON); its object key."""
    stamp = _now().strftime("%Y%m%dT%H%M%S.%fZ")
    key = f"{JOURNAL_PREFIX}{stamp}-{ctx.run_id}.json"
    try:
        ctx.client("s3").put_object(
            Bucket=ctx.fabric_bucket,
            Key=key,
            Body=json.dumps(entry, indent=2, default=str).encode(),
            ContentType="application/json",
        )
    except ClientError as exc:
        if errors.is_not_found(exc):
            raise _missing_bucket(ctx) from exc
        raise errors.translate(exc, address=_where(ctx, key), action="create") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=_where(ctx, key), action="create") from exc
    return key


def read_journal(ctx: AwsContext, limit: int = 20) -> list[dict[str, Any]]:
    """The newest ``limit`` journal entries, newest first (none without a bucket)."""
    s3 = ctx.client("s3")
    try:
        keys = [
            obj["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(
                Bucket=ctx.fabric_bucket, Prefix=JOURNAL_PREFIX
            )
            for obj in page.get("Contents", [])
        ]
        entries = []
        for key in sorted(keys, reverse=True)[: max(0, limit)]:
            body = s3.get_object(Bucket=ctx.fabric_bucket, Key=key)["Body"].read()
            try:
                entry = json.loads(body)
            except ValueError:
                entry = {"error": "unreadable journal entry"}
            if not isinstance(entry, dict):
                entry = {"value": entry}
            entries.append({**entry, "journal_key": key})
        return entries
    except ClientError as exc:
        if errors.is_not_found(exc):
            return []
        raise errors.translate(exc, address=_where(ctx, JOURNAL_PREFIX), action="read") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=_where(ctx, JOURNAL_PREFIX), action="read") from exc
