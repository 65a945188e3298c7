"""The driver kit: discover, create and update written once, so a driver is only its hooks.

kops runs one find → diff → render for every kind of task, and each task file holds only what
differs; :class:`TaggedDriver` does the same for weft's drivers. A driver declares:

- ``schema``: its :class:`~weft.core.resource.KindSchema`, with ``updatable`` naming exactly
  the fields its setters change (a unit test holds the two together);
- ``find(ctx, address=None)``: this fabric's resources of the kind (only the one at
  ``address`` when given), read as :class:`~weft.core.resource.Observed`;
- ``make(ctx, resource, props)``: the create call (tagged at creation) and any wait until the
  resource is usable; it returns what now exists, its props as the new resource has them;
- ``setters``: a table of :class:`Setter`, each changing one or more fields in place, run in
  table order (tags through the service family's :mod:`.tagger`);
- ``delete(ctx, observed)``.

What the kit does with them:

- ``discover`` is ``find(ctx)``.
- ``create`` first applies the adoption rule (:mod:`.adoption`), once for every driver: what an
  earlier attempt left at this address and whose immutable props are the desired ones is
  finished as an update (:meth:`TaggedDriver.adopt`). When to look is data
  (``adoption_look``): by default only after a first attempt, so a first attempt makes no read.
  Otherwise ``make``, then the setters of the fields the create call cannot set
  (``set_after_create``) whose value differs from the new resource's.
- ``update`` is one :class:`Edit` (:meth:`DriverBase.change`): each setter one of whose
  fields changed runs, then :meth:`TaggedDriver.updated` says what now exists (by default the
  desired props, the outputs as they were, the state as it was or ``settled_state``).

A driver whose update is one flow that setters would only cut into pieces (an EKS update waited
on, then the next) overrides ``change``, keeps ``setters`` empty and declares ``updatable``
itself. A driver that is not found by its tags (DNS records, a certificate's validation) derives
from :class:`DriverBase` only and says why in its docstring.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from weft.aws.context import AwsContext
from weft.aws.drivers import adoption
from weft.aws.drivers.base import Refusal
from weft.aws.drivers.tagger import Tagger
from weft.core.resource import KindSchema, Observed, Resource, thaw
from weft.errors import PermanentError


@dataclass(frozen=True)
class Edit:
    """One in-place change being applied: what each setter gets."""

    ctx: AwsContext
    resource: Resource
    #: the desired props, refs resolved
    props: dict[str, Any]
    #: the resource as it is
    observed: Observed
    changed: frozenset[str]
    #: the outputs the result reports (a setter may change them: a route table's associations)
    outputs: dict[str, Any]

    @property
    def id(self) -> str:
        return self.observed.id

    @property
    def address(self) -> str:
        return self.resource.address

    def old(self, field: str, default: Any = None) -> Any:
        """The field's value as it is (plain dicts and lists)."""
        return thaw(self.observed.props.get(field, default))


@dataclass(frozen=True)
class Setter:
    """Changes ``fields`` in place; runs when any of them changed."""

    fields: frozenset[str]
    apply: Callable[[Edit], None]


def setter(*fields: str) -> Callable[[Callable[[Edit], None]], Setter]:
    """Make a function of an :class:`Edit` the setter of ``fields``."""

    def wrap(apply: Callable[[Edit], None]) -> Setter:
        return Setter(frozenset(fields), apply)

    return wrap


def by_id(edit: Edit) -> str:
    return edit.id


def by_arn(edit: Edit) -> str:
    return str(edit.observed.outputs["arn"])


def tags(tagger: Tagger, target: Callable[[Edit], str] = by_id) -> Setter:
    """The setter of ``tags``: ``tagger`` makes the tags of ``target(edit)`` the desired ones."""

    def apply(edit: Edit) -> None:
        tagger.ensure(edit.ctx, target(edit), edit.old("tags", {}), edit.props["tags"])

    return Setter(frozenset({"tags"}), apply)


def covered(setters: Iterable[Setter]) -> frozenset[str]:
    """Every field some setter changes."""
    return frozenset().union(*(s.fields for s in setters))


#: When ``create`` looks for what an earlier attempt left: ``retry`` only after a first attempt
#: (:func:`.adoption.earlier_attempts`), ``always``, or ``never`` (the create call itself knows
#: a retry, as S3's ``BucketAlreadyOwnedByYou`` does).
AdoptionLook = Literal["retry", "always", "never"]


class DriverBase(ABC):
    """The contract of :mod:`.base` with ``update`` taken as one :class:`Edit` (:meth:`change`).

    Every driver derives from it; those not found by their tags (DNS records, a certificate's
    validation) directly, the others through :class:`TaggedDriver`.

    :meth:`refusals` (pure) names the changes from ``observed`` to ``props`` the cloud will
    refuse; the planner asks it at plan time, so such a change is refused before anything is
    written, and the driver refuses it again before calling the cloud.
    """

    schema: KindSchema

    def refusals(self, props: Mapping[str, Any], observed: Observed) -> list[Refusal]:
        """The changes from ``observed`` to ``props`` the cloud will refuse (none by default)."""
        return []

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        for refusal in self.refusals(props, observed):
            if refusal.field in changed:  # refused before any call, as the plan refused it
                raise PermanentError(refusal.message, address=resource.address, hint=refusal.hint)
        outputs = {k: v for k, v in thaw(observed.outputs).items() if k != "id"}
        return self.change(Edit(ctx, resource, props, observed, frozenset(changed), outputs))

    @abstractmethod
    def change(self, edit: Edit) -> Observed:
        """Change the resource in place as ``edit`` says; what now exists."""

    def observed(
        self,
        name: str,
        cloud_id: str,
        props: dict[str, Any],
        outputs: dict[str, Any] | None = None,
        *,
        state: str = "ok",
    ) -> Observed:
        """An :class:`Observed` of this driver's kind."""
        return Observed(
            kind=self.schema.kind,
            name=name,
            id=cloud_id,
            props=props,
            outputs=outputs or {},
            state=state,
        )


class TaggedDriver(DriverBase):
    """A driver of resources found by weft's tags; see the module docstring."""

    setters: tuple[Setter, ...] = ()
    #: fields the create call cannot set: after ``make``, their setters run where they differ
    set_after_create: frozenset[str] = frozenset()
    adoption_look: AdoptionLook = "retry"
    #: the state an update reports (None: the state the resource had)
    settled_state: str | None = None

    @abstractmethod
    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]: ...

    @abstractmethod
    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed: ...

    @abstractmethod
    def delete(self, ctx: AwsContext, observed: Observed) -> None: ...

    def discover(self, ctx: AwsContext) -> list[Observed]:
        return self.find(ctx)

    def earlier_attempts(self, ctx: AwsContext, resource: Resource) -> list[Observed]:
        """What earlier attempts to create ``resource`` may have left (see ``adoption_look``)."""
        if self.adoption_look == "never":
            return []
        if self.adoption_look == "always":
            return self.find(ctx, resource.address)
        return adoption.earlier_attempts(ctx, lambda: self.find(ctx, resource.address))

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        existing = adoption.adoptable(self.schema, self.earlier_attempts(ctx, resource), props)
        if existing is not None:
            return self.adopt(ctx, resource, props, existing)
        made = self.make(ctx, resource, props)
        rest = adoption.changed_fields(self.schema, made.props, props) & self.set_after_create
        return self.update(ctx, resource, props, made, rest) if rest else made

    def adopt(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any], existing: Observed
    ) -> Observed:
        """Finish creating ``resource`` from what an earlier attempt left: an update."""
        changed = adoption.changed_fields(self.schema, existing.props, props)
        return self.update(ctx, resource, props, existing, changed)

    def change(self, edit: Edit) -> Observed:
        for step in self.setters:
            if step.fields & edit.changed:
                step.apply(edit)
        return self.updated(edit)

    def updated(self, edit: Edit) -> Observed:
        """What exists after ``edit``."""
        return self.observed(
            edit.resource.name,
            edit.id,
            edit.props,
            edit.outputs,
            state=self.settled_state or edit.observed.state,
        )
