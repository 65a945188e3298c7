"""What a deletion would lose, read for the guard rails: the objects a bucket holds, and the
volumes Kubernetes left for the fabric or its cluster."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws import errors
from weft.aws.bucket_contents import count_objects
from weft.aws.context import AwsContext
from weft.aws.sweep.base import scan
from weft.aws.sweep.scope import Scope
from weft.aws.sweep.volume import VolumeSweeper
from weft.core.resource import Observed


def object_count(ctx: AwsContext, bucket: str) -> int:
    """How many object versions ``bucket`` holds (0 when there is no such bucket)."""
    try:
        return count_objects(ctx, bucket)
    except ClientError as exc:
        if errors.is_no_such_bucket(exc):
            return 0
        raise errors.translate(exc, address=f"bucket {bucket}", action="read") from exc
    except BotoCoreError as exc:
        raise errors.translate(exc, address=f"bucket {bucket}", action="read") from exc


def volumes(ctx: AwsContext, scope: Scope) -> list[Observed]:
    """Every volume tagged for the fabric or its cluster, attached or not."""
    return scan(VolumeSweeper(scope), ctx, subject="volumes")
