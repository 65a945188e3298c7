"""The contract every driver keeps (one driver per resource kind, one module each).

Verbs, the same on every driver:

- ``discover(ctx)``: every resource of this kind that carries the fabric's tags, with as few
  requests as possible (one filtered, paginated describe; never one call per resource). Each
  :class:`~weft.core.resource.Observed` has the logical name from the ``weft:id`` tag, the
  cloud id, ``props`` in the same shape as the desired resource's props (refs replaced by the cloud
  ids they point at) and ``outputs`` other resources can refer to. Resources on their way out
  (``deleting``, ``deleted``, ``PendingDeletion``) are not reported.
- ``create(ctx, resource, props)``: create with the tags at creation (``TagSpecifications`` or
  equivalent, so a crash never leaves an untagged orphan), with ``ctx.token(address)`` as the
  idempotency token where the API has one; wait until usable (reporting progress through
  ``ctx.report``); return what now exists. ``props`` are the resource's props with refs resolved.
- ``update(ctx, resource, props, observed, changed)``: change in place the fields named in
  ``changed`` (never immutable ones: the planner turns those into replacements).
- ``delete(ctx, observed)``: delete and wait until gone; already gone is success.

Errors: drivers let botocore ``ClientError`` propagate; the applier translates it through
:mod:`weft.aws.errors` (the only place that compares error codes) adding the resource address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from weft.aws.context import AwsContext
from weft.core.resource import KindSchema, Observed, Resource


@dataclass(frozen=True)
class Refusal:
    """A change of ``field`` the cloud refuses to make in place (a downgrade, a smaller disk):
    what is wrong, and what the user can set instead."""

    field: str
    message: str
    hint: str


class Driver(Protocol):
    schema: KindSchema

    def discover(self, ctx: AwsContext) -> list[Observed]: ...

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed: ...

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed: ...

    def delete(self, ctx: AwsContext, observed: Observed) -> None: ...
