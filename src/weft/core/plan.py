"""A plan is data: the changes that make the cloud match the fabric file, and their order.

It can be printed, saved as JSON, reviewed, and applied later; apply refuses a saved plan whose
observed state (``fingerprint``) no longer matches the cloud.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from weft.core.resource import Fmt, Observed, Ref, Resource, thaw

PLAN_FORMAT = 1


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    NOOP = "no-op"


class _Unknown:
    """A value known only after apply (the id of a resource that does not exist yet)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    __str__ = __repr__


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class FieldDiff:
    field: str
    before: Any
    after: Any
    forces_replacement: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "before": _jsonable(self.before),
            "after": _jsonable(self.after),
            "forces_replacement": self.forces_replacement,
        }


@dataclass(frozen=True)
class Change:
    action: Action
    address: str
    kind: str
    desired: Resource | None = None
    observed: Observed | None = None
    diffs: tuple[FieldDiff, ...] = ()
    reason: str = ""
    #: replacement order: True = delete the old one first (unique names, overlapping CIDRs)
    delete_first: bool = True

    @property
    def cloud_id(self) -> str | None:
        return self.observed.id if self.observed else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "address": self.address,
            "kind": self.kind,
            "id": self.cloud_id,
            "reason": self.reason,
            "delete_first": self.delete_first,
            "diffs": [d.to_dict() for d in self.diffs],
            "desired": _resource_to_dict(self.desired) if self.desired else None,
            "observed": self.observed.to_dict() if self.observed else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        return cls(
            action=Action(data["action"]),
            address=data["address"],
            kind=data["kind"],
            desired=_resource_from_dict(data["desired"]) if data.get("desired") else None,
            observed=Observed.from_dict(data["observed"]) if data.get("observed") else None,
            diffs=tuple(
                FieldDiff(d["field"], d["before"], d["after"], d.get("forces_replacement", False))
                for d in data.get("diffs", ())
            ),
            reason=data.get("reason", ""),
            delete_first=data.get("delete_first", True),
        )


@dataclass
class Plan:
    fabric: str
    changes: list[Change]
    fingerprint: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def actionable(self) -> list[Change]:
        return [c for c in self.changes if c.action is not Action.NOOP]

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    def counts(self) -> dict[str, int]:
        counted = Counter(c.action.value for c in self.changes)
        return {a.value: counted.get(a.value, 0) for a in Action}

    def change(self, address: str) -> Change:
        for c in self.changes:
            if c.address == address:
                return c
        raise KeyError(address)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "fabric": self.fabric,
            "fingerprint": self.fingerprint,
            "meta": self.meta,
            "summary": self.counts(),
            "changes": [c.to_dict() for c in self.changes],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"unsupported plan format {data.get('format')!r}")
        return cls(
            fabric=data["fabric"],
            changes=[Change.from_dict(c) for c in data["changes"]],
            fingerprint=data["fingerprint"],
            meta=dict(data.get("meta", {})),
        )


def fingerprint(observed: Iterable[Observed]) -> str:
    """A digest of what the cloud held when a plan was made (ids, states and props)."""
    items = sorted(
        (o.address, o.id, o.state, json.dumps(thaw(o.props), sort_keys=True, default=str))
        for o in observed
    )
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


_FMT_KEY = "$fmt:"


def _fmt_to_dict(fmt: Fmt) -> dict[str, Any]:
    return {"$fmt": fmt.template, "refs": [[r.address, r.attr] for r in fmt.refs]}


def _jsonable(value: Any) -> Any:
    if value is UNKNOWN:
        return "(known after apply)"
    if isinstance(value, Ref):
        return {"$ref": value.address, "attr": value.attr}
    if isinstance(value, Fmt):
        return _fmt_to_dict(value)
    value = thaw(value)
    if isinstance(value, dict):
        return {_jsonable_key(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _jsonable_key(key: Any) -> str:
    if isinstance(key, Fmt):
        return _FMT_KEY + json.dumps(_fmt_to_dict(key))
    if key is UNKNOWN:
        return "(known after apply)"
    return str(key)


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$ref", "attr"}:
            return Ref(value["$ref"], value["attr"])
        if set(value) == {"$fmt", "refs"}:
            return Fmt(value["$fmt"], *(Ref(a, b) for a, b in value["refs"]))
        return {_from_jsonable_key(k): _from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_jsonable(v) for v in value]
    return value


def _from_jsonable_key(key: str) -> Any:
    if key.startswith(_FMT_KEY):
        return _from_jsonable(json.loads(key[len(_FMT_KEY) :]))
    return key


def _resource_to_dict(res: Resource) -> dict[str, Any]:
    return {
        "kind": res.kind,
        "name": res.name,
        "props": _jsonable(res.props),
        "depends_on": list(res.depends_on),
    }


def _resource_from_dict(data: Mapping[str, Any]) -> Resource:
    return Resource(
        kind=data["kind"],
        name=data["name"],
        props=_from_jsonable(data["props"]),
        depends_on=tuple(data.get("depends_on", ())),
    )
