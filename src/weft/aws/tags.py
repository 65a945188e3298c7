"""weft's tags and their AWS shapes.

Every resource weft makes carries ``weft:fabric`` (the fabric it belongs to, the discovery filter)
and ``weft:id`` (its address ``kind.name``, the logical name discovery reads back). Keys starting
with ``aws:`` belong to AWS: they are never reported, set or removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from weft.core.resource import split_address
from weft.model.tags import FABRIC_TAG, ID_TAG

__all__ = [
    "FABRIC_TAG",
    "ID_TAG",
    "changes",
    "from_aws",
    "is_reserved",
    "name_from_id_tag",
    "owned_name",
    "tag_specifications",
    "to_aws",
]

AWS_PREFIX = "aws:"


def is_reserved(key: str) -> bool:
    """Keys AWS owns (``aws:...``)."""
    return key.startswith(AWS_PREFIX)


def to_aws(
    tags: Mapping[str, str], *, key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    """``[{"Key": k, "Value": v}, ...]`` (KMS spells them ``TagKey``/``TagValue``)."""
    return [{key: str(k), value: str(v)} for k, v in sorted(tags.items()) if not is_reserved(k)]


def from_aws(
    tags: Iterable[Mapping[str, Any]] | None, *, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    """A dict from AWS's tag list, without ``aws:`` keys."""
    out: dict[str, str] = {}
    for tag in tags or ():
        k = str(tag.get(key, ""))
        if k and not is_reserved(k):
            out[k] = str(tag.get(value, ""))
    return out


def tag_specifications(resource_type: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """EC2's ``TagSpecifications`` for tagging at creation."""
    return [{"ResourceType": resource_type, "Tags": to_aws(tags)}]


def name_from_id_tag(tags: Mapping[str, str], kind: str) -> str | None:
    """The logical name in the ``weft:id`` tag, when that tag names a resource of ``kind``."""
    address = tags.get(ID_TAG)
    if not address:
        return None
    tag_kind, name = split_address(address)
    if tag_kind != kind or not name:
        return None
    return name


def owned_name(
    tags: Mapping[str, str], *, fabric: str, kind: str, address: str | None = None
) -> str | None:
    """The logical name of a resource of ``kind`` whose tags mark it as ``fabric``'s (and as
    ``address``, when given); None when they do not."""
    if tags.get(FABRIC_TAG) != fabric:
        return None
    if address is not None and tags.get(ID_TAG) != address:
        return None
    return name_from_id_tag(tags, kind)


def changes(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """What to set (added or changed) and what to remove to go from ``old`` to ``new`` tags."""
    to_set = {k: v for k, v in new.items() if not is_reserved(k) and old.get(k) != v}
    to_remove = sorted(k for k in old if k not in new and not is_reserved(k))
    return to_set, to_remove
