"""The fabric's journal: one JSON entry per apply and teardown, kept in the fabric bucket."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.context import AwsContext
from weft.aws.fabric_store import JOURNAL_PREFIX, missing_bucket, where


def write_journal(ctx: AwsContext, entry: dict[str, Any]) -> str:
    """Store one journal entry (JSON); its object key."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
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
            raise missing_bucket(ctx) from exc
        raise errors.translate(exc, address=where(ctx, key), action="create") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=where(ctx, key), action="create") from exc
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
        raise errors.translate(exc, address=where(ctx, JOURNAL_PREFIX), action="read") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=where(ctx, JOURNAL_PREFIX), action="read") from exc
