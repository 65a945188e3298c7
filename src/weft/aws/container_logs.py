"""Reading the containers' logs back from CloudWatch Logs (``weft logs`` once an app's pods
are gone): FilterLogEvents on the fabric's group, over the streams of one app's pods.

Fluent Bit names a container's stream ``NAMESPACE/POD/CONTAINER``
(:func:`weft.model.logs.stream_name`), so an app's streams share the prefix
``NAMESPACE/APP-``; the caller keeps the streams whose pod really is the app's.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.context import AwsContext
from weft.aws.errors import is_not_found, translate

#: At most this many events per call (FilterLogEvents pages hold up to 10,000).
PAGE_LIMIT = 10_000


def filter_events(
    ctx: AwsContext,
    group: str,
    stream_prefix: str,
    start_ms: int | None = None,
    *,
    limit: int = 50_000,
) -> list[dict[str, Any]] | None:
    """The events of the streams named ``stream_prefix…`` in ``group``, oldest first (each with
    ``logStreamName``, ``timestamp`` in ms, ``message``, ``eventId``), from ``start_ms`` on, at
    most ``limit``; None when the group does not exist."""
    logs = ctx.client("logs")
    request: dict[str, Any] = {"logGroupName": group, "logStreamNamePrefix": stream_prefix}
    if start_ms is not None:
        request["startTime"] = int(start_ms)
    events: list[dict[str, Any]] = []
    try:
        while True:
            answer = logs.filter_log_events(**request, limit=PAGE_LIMIT)
            events += answer.get("events") or []
            token = answer.get("nextToken")
            if not token or len(events) >= limit or token == request.get("nextToken"):
                break
            request["nextToken"] = token
    except (ClientError, BotoCoreError) as exc:
        if isinstance(exc, ClientError) and is_not_found(exc):
            return None
        raise translate(exc, address=f"log group {group}", action="read") from exc
    events.sort(key=lambda e: (int(e.get("timestamp") or 0), str(e.get("eventId") or "")))
    return events[:limit]
