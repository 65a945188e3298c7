"""What the Amazon Managed Service for Prometheus drivers share: the tag calls and the wait.

Workspaces and scrapers are both tagged with ``TagResource`` / ``UntagResource`` on their ARN,
tags as a map; both are made and removed asynchronously (``CREATING`` then ``ACTIVE``,
``DELETING`` then gone; ``CREATION_FAILED`` gives up, naming AMP's ``statusReason``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from weft.aws.context import AwsContext
from weft.aws.drivers import tagger
from weft.aws.waiting import wait_until
from weft.errors import PermanentError

Item = dict[str, Any]

AMP = tagger.PairTagger(
    "amp",
    add=lambda c, t, tags: c.tag_resource(resourceArn=t, tags=tags),
    remove=lambda c, t, tags: c.untag_resource(resourceArn=t, tagKeys=sorted(tags)),
)
#: AMP's statuses that will not become ACTIVE by themselves
FAILED = frozenset({"CREATION_FAILED", "UPDATE_FAILED", "DELETION_FAILED"})
#: a managed collector takes minutes to start (its network interfaces, its access to the cluster)
TIMEOUT = 1800.0


def status_of(item: Mapping[str, Any]) -> str:
    return str((item.get("status") or {}).get("statusCode") or "")


def wait_active(
    ctx: AwsContext, what: str, read: Callable[[], Item | None], *, address: str, hint: str
) -> Item:
    """Poll ``read`` until the item is ``ACTIVE``; a failed status gives up, with AMP's reason."""
    last: Item = {}

    def check() -> bool | str:
        item = read()
        if item is None:
            return "not visible yet"
        last.clear()
        last.update(item)
        status = status_of(item)
        if status in FAILED:
            reason = item.get("statusReason") or "no reason given"
            raise PermanentError(f"{what} is {status}: {reason}", address=address, hint=hint)
        return True if status == "ACTIVE" else status or "unknown"

    wait_until(ctx, f"{what} to be ACTIVE", check, timeout=TIMEOUT, interval=5.0, max_interval=30.0)
    return dict(last)


def wait_gone(ctx: AwsContext, what: str, read: Callable[[], Item | None]) -> None:
    def check() -> bool | str:
        item = read()
        return True if item is None else status_of(item) or "deleting"

    wait_until(
        ctx, f"{what} to be deleted", check, timeout=TIMEOUT, interval=5.0, max_interval=30.0
    )
