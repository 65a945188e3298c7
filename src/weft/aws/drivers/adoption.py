"""Making create safe to retry for APIs without an idempotency token.

Most EC2 creates take no ``ClientToken``: if a create succeeded but a later step of it failed
(or the answer was lost), the executor's retry would make a second resource. So a driver's
``create`` first looks for a resource already carrying this address in its ``weft:id`` tag and,
when its immutable properties are the desired ones, adopts it: the remaining steps run as an
update. A candidate with different immutable properties is never adopted (it is an old one
awaiting replacement, which the planner deletes). The rule is applied once, for every driver,
by :class:`weft.aws.drivers.kit.TaggedDriver`.

The look is only needed after an attempt: on the first attempt of a create in a run
(``ctx.first_attempt``, set by the applier) the plan being applied was read from the cloud
under the apply lock moments before and found nothing at this address, so
:func:`earlier_attempts` makes no request. Resources made by a run that crashed are found by
that reading (they are tagged at creation) and never planned as creates again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from weft.aws.context import AwsContext
from weft.core.planner import diff_props
from weft.core.resource import KindSchema, Observed


def earlier_attempts(ctx: AwsContext, find: Callable[[], list[Observed]]) -> list[Observed]:
    """What earlier attempts to create this resource may have left (``find()``); nothing to
    look for, and no request, on the first attempt."""
    return [] if ctx.first_attempt else find()


def changed_fields(
    schema: KindSchema, observed: Mapping[str, Any], desired: Mapping[str, Any]
) -> set[str]:
    """The desired properties whose value differs from the observed one."""
    return {d.field for d in diff_props(desired, observed, schema)}


def adoptable(
    schema: KindSchema, candidates: Iterable[Observed], desired: Mapping[str, Any]
) -> Observed | None:
    """The first candidate whose immutable properties equal the desired ones."""
    for candidate in candidates:
        if not (changed_fields(schema, candidate.props, desired) & schema.immutable):
            return candidate
    return None
