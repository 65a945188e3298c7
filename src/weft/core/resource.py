"""Desired and observed resources, and the references between them.

A *desired* :class:`Resource` is an immutable value made from the fabric file: its kind, a logical
name, and properties. A property may hold a :class:`Ref` to another resource's attribute (usually
its cloud id); refs are the only source of dependency edges.

An :class:`Observed` resource is what discovery found in the cloud for one logical address: the
cloud id, the same properties in the same shape as the desired ones (refs replaced by the cloud ids
they point at), the attributes other resources may refer to (``outputs``), and the addresses of
the resources it depends on (``deps``, so a teardown needs no desired state).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, order=True)
class Ref:
    """A reference to an attribute (``id`` unless said otherwise) of another resource.

    ``attr`` may be a dotted path into the outputs: ``validation.0.name`` is the ``name`` of the
    first item of the ``validation`` list.
    """

    address: str
    attr: str = "id"

    def __str__(self) -> str:
        return f"${{{self.address}.{self.attr}}}"


@dataclass(frozen=True)
class Fmt:
    """A string made from refs once they are known: ``Fmt("{0}:sub", Ref(...))``.

    It may stand where a plain string stands, mapping keys included (an IAM condition key that
    names an OIDC issuer, say).
    """

    template: str
    refs: tuple[Ref, ...]

    def __init__(self, template: str, *refs: Ref) -> None:
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "refs", tuple(refs))

    def __str__(self) -> str:
        return self.template.format(*(str(r) for r in self.refs))


def address_of(kind: str, name: str) -> str:
    return f"{kind}.{name}"


def split_address(address: str) -> tuple[str, str]:
    kind, _, name = address.partition(".")
    return kind, name


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists from the frozen values resources hold (for JSON and drivers)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def iter_refs(value: Any) -> Iterator[Ref]:
    """Every Ref inside a (possibly nested) property value, mapping keys included."""
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, Fmt):
        yield from value.refs
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from iter_refs(k)
            yield from iter_refs(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from iter_refs(v)


@dataclass(frozen=True)
class Resource:
    """One desired resource.

    ``props`` are compared with what the cloud has; ``depends_on`` adds ordering edges that no
    property expresses (rare: e.g. a NAT gateway needs the internet gateway attached first).
    """

    kind: str
    name: str
    props: Mapping[str, Any] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "props", _freeze(self.props))
        object.__setattr__(self, "depends_on", tuple(self.depends_on))

    @property
    def address(self) -> str:
        return address_of(self.kind, self.name)

    def refs(self) -> list[Ref]:
        return list(iter_refs(self.props))

    def dependencies(self) -> set[str]:
        """Addresses this resource must wait for."""
        return {r.address for r in self.refs()} | set(self.depends_on)


@dataclass(frozen=True)
class Observed:
    """One resource as the cloud has it."""

    kind: str
    name: str
    id: str
    props: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)
    state: str = "ok"
    deps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "props", _freeze(self.props))
        object.__setattr__(self, "outputs", _freeze({"id": self.id, **dict(self.outputs)}))
        object.__setattr__(self, "deps", tuple(sorted(set(self.deps))))

    @property
    def address(self) -> str:
        return address_of(self.kind, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "kind": self.kind,
            "name": self.name,
            "id": self.id,
            "state": self.state,
            "props": thaw(self.props),
            "outputs": thaw(self.outputs),
            "deps": list(self.deps),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Observed:
        return cls(
            kind=data["kind"],
            name=data["name"],
            id=data["id"],
            props=data.get("props", {}),
            outputs=data.get("outputs", {}),
            state=data.get("state", "ok"),
            deps=tuple(data.get("deps", ())),
        )


@dataclass(frozen=True)
class KindSchema:
    """What the planner must know of a kind (declared by its driver, pure data).

    ``immutable``: properties that cannot change in place; a difference means replacement.
    ``updatable``: properties the driver changes in place. The planner does not read it (a
    difference in any property not immutable is an update, as it always was); it is the
    driver's promise, which the driver conformance test holds it to: every property of the
    kind is immutable, updatable or ignored, and a change of each updatable one is applied.
    ``ignored``: properties reported by discovery but never diffed.
    ``delete_before_create``: on replacement the old one must go first (a unique name, a CIDR that
    would overlap), instead of the default create-before-delete.
    ``update_outputs``: outputs an in-place update gives new values (a launch template's
    ``version``): on an update, what refers to them is unknown until the update is done, so
    the planner updates it too.
    ``owner``: the command that manages resources of this kind. ``fabric`` ones are planned from
    the fabric file (``plan``/``up``); ``apps`` ones are written by ``deploy`` (the DNS records of
    applications' load balancers), so ``up`` leaves them alone, while ``down`` removes them too.
    ``shown``: the properties that say what a new resource is (CIDR, zone, instance types, sizes,
    engine, version), in the order the plan shows them for a resource it creates.
    """

    kind: str
    immutable: frozenset[str] = frozenset()
    ignored: frozenset[str] = frozenset()
    delete_before_create: bool = True
    #: list properties compared as sets (order in the cloud is not meaningful)
    unordered: frozenset[str] = frozenset()
    owner: str = "fabric"
    updatable: frozenset[str] = frozenset()
    update_outputs: frozenset[str] = frozenset()
    shown: tuple[str, ...] = ()
