"""What the RDS and ElastiCache drivers share: the two services name, list, tag and wait alike.

Neither has a tag filter on its describes: discovery lists everything (one paginated describe)
and keeps what is named with the fabric's prefix (:func:`name_prefix`) and tagged for it. Tags
are read with ``ListTagsForResource`` on an ARN and changed through :data:`.tagger.RDS` /
:data:`.tagger.ELASTICACHE`. A database or cache takes minutes to create, change or delete;
the waits poll its description (:func:`describe_one`) every 5 to 30 seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import presence
from weft.aws.waiting import wait_until
from weft.errors import PermanentError

Item = dict[str, Any]
#: How long a database or cache may take to become available or to go.
TIMEOUT = 40 * 60.0

#: the room ``weft.model.naming.bounded`` keeps for a digest when it shortens a name
_DIGEST_ROOM = 7


def name_prefix(ctx: AwsContext, limit: int) -> str:
    """The prefix every name weft gives this fabric's resources starts with (even shortened)."""
    return f"weft-{ctx.fabric}-"[: limit - _DIGEST_ROOM]


def read_tags(client: Any, arn: str) -> dict[str, str]:
    """An RDS or ElastiCache resource's tags."""
    return tagging.from_aws(client.list_tags_for_resource(ResourceName=arn).get("TagList"))


def describe_one(call: Callable[[], Mapping[str, Any]], result_key: str) -> Item | None:
    """The one item a describe by id answers, or None when there is none."""
    found = presence.if_found(call)
    items = (found or {}).get(result_key) or []
    return dict(items[0]) if items else None


def wait(ctx: AwsContext, what: str, check: Callable[[], bool | str]) -> None:
    """:func:`weft.aws.waiting.wait_until` at the pace of databases and caches."""
    wait_until(ctx, what, check, timeout=TIMEOUT, interval=5.0, max_interval=30.0)


def wait_available(
    ctx: AwsContext,
    what: str,
    read: Callable[[], Item | None],
    *,
    status_key: str,
    usable: frozenset[str],
    failed: frozenset[str],
    address: str,
    hint: str,
    pending: Callable[[Item], bool] = lambda item: False,
) -> Item:
    """Wait until ``read`` finds the resource in a ``usable`` status with nothing ``pending``;
    a ``failed`` status gives up (a :class:`PermanentError` with ``hint``). Returns the last
    description."""
    last: Item = {}

    def check() -> bool | str:
        item = read()
        if item is None:
            return "not visible yet"
        last.clear()
        last.update(item)
        state = str(item.get(status_key, "creating"))
        if state in failed:
            raise PermanentError(f"{what} is {state}", address=address, hint=hint)
        if state not in usable:
            return state
        return f"{state} (changes pending)" if pending(item) else True

    wait(ctx, what, check)
    return dict(last)


def wait_gone(ctx: AwsContext, what: str, read: Callable[[], Item | None], status_key: str) -> None:
    """Wait until ``read`` finds nothing (reporting the status while it still does)."""

    def check() -> bool | str:
        item = read()
        return True if item is None else str(item.get(status_key, "deleting"))

    wait(ctx, f"{what} to be deleted", check)
