"""The planner: a pure function from (desired, observed) to a :class:`~weft.core.plan.Plan`.

- A desired resource with nothing observed at its address is *created*.
- One whose props equal what is observed (refs resolved to the ids they point at) is a *no-op*.
- One whose differing props can all change in place is *updated* (and what refers to an output
  its kind's update renews, ``update_outputs``, is planned with that output unknown); if any
  differing prop is immutable for its kind, it is *replaced* (and so, transitively, are
  dependents whose immutable props point at it: their ref becomes unknown until the new one
  exists).
- Observed resources no desired resource names, and duplicates of one address, are *deleted*.

Changes come out in dependency order (creates/updates before what needs them; deletes after).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from weft.core.graph import Graph
from weft.core.plan import UNKNOWN, Action, Change, FieldDiff, Plan, fingerprint
from weft.core.resource import Fmt, KindSchema, Observed, Ref, Resource, thaw


def _lookup(ref: Ref, lookup: Mapping[str, Mapping[str, Any] | None]) -> Any:
    value: Any = lookup.get(ref.address)
    for step in ref.attr.split("."):
        if value is None:
            return UNKNOWN
        if isinstance(value, Mapping):
            if step not in value:
                return UNKNOWN
            value = value[step]
        elif isinstance(value, list | tuple) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return UNKNOWN
    return UNKNOWN if value is None else thaw(value)


def resolve(value: Any, lookup: Mapping[str, Mapping[str, Any] | None]) -> Any:
    """``value`` with every Ref (and Fmt) replaced by what it names, or UNKNOWN.

    ``lookup[address]`` holds the outputs of a resource, or None while it is not yet known.
    """
    if isinstance(value, Ref):
        return _lookup(value, lookup)
    if isinstance(value, Fmt):
        parts = [_lookup(r, lookup) for r in value.refs]
        if any(p is UNKNOWN for p in parts):
            return UNKNOWN
        return value.template.format(*parts)
    if isinstance(value, Mapping):
        resolved = {}
        for k, v in value.items():
            resolved[resolve(k, lookup)] = resolve(v, lookup)
        return resolved
    if isinstance(value, list | tuple):
        return [resolve(v, lookup) for v in value]
    return value


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(k) or contains_unknown(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


def _canonical(value: Any, unordered: bool) -> Any:
    value = thaw(value)
    if unordered and isinstance(value, list):
        return sorted(value, key=repr)
    return value


def diff_props(
    desired: Mapping[str, Any], observed: Mapping[str, Any], schema: KindSchema
) -> list[FieldDiff]:
    """Fields whose resolved desired value differs from the observed one."""
    diffs = []
    for key in sorted(desired):
        if key in schema.ignored:
            continue
        want = desired[key]
        have = observed.get(key)
        unordered = key in schema.unordered
        if contains_unknown(want) or _canonical(want, unordered) != _canonical(have, unordered):
            diffs.append(
                FieldDiff(key, thaw(have), thaw(want), forces_replacement=key in schema.immutable)
            )
    return diffs


def desired_graph(desired: Iterable[Resource]) -> Graph:
    """The dependency graph of desired resources; every ref must name a desired resource."""
    by_address = {r.address: r for r in desired}
    for res in by_address.values():
        missing = sorted(d for d in res.dependencies() if d not in by_address)
        if missing:
            raise ValueError(f"{res.address} refers to unknown resources: {', '.join(missing)}")
    graph = Graph.from_dependencies({a: r.dependencies() for a, r in by_address.items()})
    graph.check_acyclic()
    return graph


def shown(value: Any) -> str:
    """A property's value as the plan shows it: refs by the address they point at, lists and
    maps on one line."""
    if isinstance(value, Ref):
        return value.address
    if isinstance(value, Fmt):
        return value.template.format(*(r.address for r in value.refs))
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | Mapping | list | tuple) and not value)


def created(res: Resource, schema: KindSchema) -> str:
    """The reason of a create: ``new``, and the properties that say what the resource is
    (``new: cidr 10.0.0.0/19, zone us-east-2a``), those its schema lists as ``shown``."""
    parts = [
        f"{name} {shown(res.props[name])}"
        for name in schema.shown
        if not _empty(res.props.get(name))
    ]
    return "new: " + ", ".join(parts) if parts else "new"


def plan(
    fabric: str,
    desired: Iterable[Resource],
    observed: Iterable[Observed],
    schemas: Mapping[str, KindSchema],
    *,
    duplicates: Iterable[Observed] = (),
    meta: Mapping[str, Any] | None = None,
) -> Plan:
    desired_list = list(desired)
    by_address = {r.address: r for r in desired_list}
    if len(by_address) != len(desired_list):
        raise ValueError("two desired resources share one address")
    observed_list = list(observed)
    observed_by = {o.address: o for o in observed_list}
    graph = desired_graph(desired_list)

    lookup: dict[str, Mapping[str, Any] | None] = {}
    changes: list[Change] = []
    #: resources replaced delete-first: what depends on them and is replaced too goes first
    gone_first: set[str] = set()
    for address in graph.topological_order():
        res = by_address[address]
        schema = schemas.get(res.kind) or KindSchema(res.kind)
        obs = observed_by.get(address)
        if obs is None:
            changes.append(
                Change(Action.CREATE, address, res.kind, desired=res, reason=created(res, schema))
            )
            lookup[address] = None
            continue
        props = resolve(res.props, lookup)
        diffs = diff_props(props, obs.props, schema)
        forcing = [d.field for d in diffs if d.forces_replacement]
        if forcing:
            action = Action.REPLACE
            reason = f"{', '.join(forcing)} cannot change in place"
            lookup[address] = None
        elif diffs:
            action = Action.UPDATE
            reason = f"{', '.join(d.field for d in diffs)} changed"
            # outputs the update renews are unknown to what refers to them until it is done
            lookup[address] = {
                k: v for k, v in obs.outputs.items() if k not in schema.update_outputs
            }
        else:
            action, reason = Action.NOOP, ""
            lookup[address] = obs.outputs
        delete_first = schema.delete_before_create
        if action is Action.REPLACE:
            # Replaced with something it depends on that goes first (a cluster and its node
            # groups): its new self needs the new dependency, which waits for the old one to
            # go, which waits for the old self to go. So the old self goes first too, instead
            # of a cycle: old groups, old cluster, new cluster, new groups.
            # (Only where the old self does depend on the old one: otherwise no cycle.)
            first = sorted(res.dependencies() & gone_first & set(obs.deps))
            if first and not delete_first:
                delete_first = True
                reason += f"; deleted first, as {', '.join(first)} is replaced"
            if delete_first:
                gone_first.add(address)
        changes.append(
            Change(
                action,
                address,
                res.kind,
                desired=res,
                observed=obs,
                diffs=tuple(diffs),
                reason=reason,
                delete_first=delete_first,
            )
        )

    leaving = [o for o in observed_list if o.address not in by_address]
    delete_graph = Graph.from_dependencies({o.address: o.deps for o in leaving}).reversed()
    order = {a: i for i, a in enumerate(delete_graph.topological_order())}
    for obs in sorted(leaving, key=lambda o: order[o.address]):
        changes.append(
            Change(Action.DELETE, obs.address, obs.kind, observed=obs, reason="not in the fabric")
        )
    for i, dup in enumerate(duplicates, start=2):
        changes.append(
            Change(
                Action.DELETE,
                f"{dup.address}#{i}",
                dup.kind,
                observed=dup,
                reason=f"duplicate of {dup.address} ({dup.id})",
            )
        )
    return Plan(
        fabric=fabric,
        changes=changes,
        fingerprint=fingerprint([*observed_list, *duplicates]),
        meta=dict(meta or {}),
    )
