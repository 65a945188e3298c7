"""Making create safe to retry for APIs without an idempotency token.

Most EC2 creates take no ``ClientToken``: if a create succeeded but a later step of it failed
(or the answer was lost), the executor's retry would make a second resource. So a driver's
``create`` first looks for a resource already carrying this address in its ``weft:id`` tag and,
when its immutable properties are the desired ones, adopts it: the remaining steps run as an
update. A candidate with different immutable properties is never adopted (it is an old one
awaiting replacement, which the planner deletes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from weft.core.resource import KindSchema, Observed, thaw


def _normal(value: Any, unordered: bool) -> Any:
    value = thaw(value)
    if unordered and isinstance(value, list):
        return sorted(value, key=repr)
    return value


def changed_fields(
    schema: KindSchema, observed: Mapping[str, Any], desired: Mapping[str, Any]
) -> set[str]:
    """The desired properties whose value differs from the observed one."""
    return {
        key
        for key, value in desired.items()
        if _normal(observed.get(key), key in schema.unordered)
        != _normal(value, key in schema.unordered)
    }


def adoptable(
    schema: KindSchema, candidates: Iterable[Observed], desired: Mapping[str, Any]
) -> Observed | None:
    """The first candidate whose immutable properties equal the desired ones."""
    for candidate in candidates:
        if not (changed_fields(schema, candidate.props, desired) & schema.immutable):
            return candidate
    return None
