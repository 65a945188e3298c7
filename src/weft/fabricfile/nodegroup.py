"""The cluster's managed node groups: EC2 instances that join it, with their labels and taints.

::

    nodegroups:
      - {name: general, instance_types: [m6i.large], min: 2, max: 6}

``max_unavailable`` (a node count, or a percentage like ``"33%"``, the default) is how many of
the group's nodes EKS replaces at once when it updates the group's version (``weft upgrade``,
``weft rotate-nodes``): EKS's ``updateConfig``, 1 to 100 either way.

Defaults resolved here: ``desired`` is ``max(min, 1)`` clipped to ``max``. The AMI type
(``ami_type``) is derived from the instance types when the file names none
(:func:`weft.fabricfile.instance_types.ami_type_for`); a group whose types need different AMIs
(arm64 and x86_64, or GPU and plain) is refused here, as is an ``ami_type`` for another
architecture than its instance types (EKS would refuse the node group). That node groups need
a cluster is :func:`weft.fabricfile.cross_check.cross_problems`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainValidator,
    model_validator,
)

from weft.fabricfile.checks import (
    CLASS_PREFIXES,
    MODEL_CONFIG,
    Path,
    check_in_range,
    check_label,
    check_unique,
    choice,
    describe,
    none_as_empty,
    problem,
)
from weft.fabricfile.cluster import MAX_COMPUTE_NAME_LENGTH
from weft.fabricfile.instance_types import AMI_TYPES, ami_architecture, architecture, mix_problem
from weft.fabricfile.k8s_names import Labels, label_key_problem, label_value_problem

__all__ = [
    "MAX_DISK_GB",
    "MAX_INSTANCE_TYPES",
    "MAX_TAINTS",
    "MIN_DISK_GB",
    "TAINT_EFFECTS",
    "NodeGroup",
    "Taint",
]

TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
MAX_INSTANCE_TYPES = 20
MAX_TAINTS = 50
MIN_DISK_GB = 20
MAX_DISK_GB = 16384

_INSTANCE_TYPE_RE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")


# --- taints -----------------------------------------------------------------------------------


def _check_taint_key(key: str) -> str:
    message = label_key_problem(key)
    if message is not None:
        raise problem(((), message.replace("label key", "taint key")))
    return key


def _check_taint_value(value: str) -> str:
    message = label_value_problem(value)
    if message is not None:
        raise problem(((), message.replace("label value", "taint value")))
    return value


class Taint(BaseModel):
    """A Kubernetes taint put on every node of a node group."""

    model_config = MODEL_CONFIG

    key: Annotated[str, AfterValidator(_check_taint_key)]
    value: Annotated[str, AfterValidator(_check_taint_value)] = ""
    effect: Annotated[TaintEffect, BeforeValidator(choice(TAINT_EFFECTS))]


# --- node groups ------------------------------------------------------------------------------


def _instance_type_hint(value: str) -> str:
    guess = value.strip().lower().replace("_", ".")
    for prefix in CLASS_PREFIXES:
        if guess.startswith(prefix) and guess.count(".") >= 2:
            guess = guess[len(prefix) :]
    if "." not in guess and "-" in guess:
        head, _, tail = guess.rpartition("-")
        guess = f"{head}.{tail}"
    if guess != value and _INSTANCE_TYPE_RE.fullmatch(guess):
        return f" (did you mean {guess!r}?)"
    return ""


def _check_instance_types(value: list[str]) -> list[str]:
    if not value:
        raise problem(
            ((), "an empty list is not allowed; give at least one instance type, e.g. [m6i.large]")
        )
    found: list[tuple[Path, str]] = []
    if len(value) > MAX_INSTANCE_TYPES:
        found.append(
            (
                (),
                f"{len(value)} instance types given; a node group allows at most "
                f"{MAX_INSTANCE_TYPES}",
            )
        )
    for index, item in enumerate(value):
        if not _INSTANCE_TYPE_RE.fullmatch(item):
            found.append(
                (
                    (index,),
                    f"{describe(item)} is not an EC2 instance type; expected family.size like "
                    f"m6i.large, t3.medium or c7g.2xlarge{_instance_type_hint(item)}",
                )
            )
    found.extend(check_unique(value, "instance type", "instance_types"))
    if found:
        raise problem(*found)
    return value


def _check_taints(value: list[Taint]) -> list[Taint]:
    found: list[tuple[Path, str]] = []
    if len(value) > MAX_TAINTS:
        found.append(((), f"{len(value)} taints given; a node group allows at most {MAX_TAINTS}"))
    first_seen: dict[tuple[str, str], int] = {}
    for index, taint in enumerate(value):
        seen = first_seen.setdefault((taint.key, taint.effect), index)
        if seen != index:
            found.append(
                (
                    (index,),
                    f"a taint with key {taint.key!r} and effect {taint.effect} is listed twice "
                    f"(first as taints[{seen}]); Kubernetes allows one per key and effect",
                )
            )
    if found:
        raise problem(*found)
    return value


def _check_ami_type(value: Any) -> Any:
    return None if value is None else choice(AMI_TYPES)(value)


def _check_min(value: int) -> int:
    if value < 0:
        raise problem(((), f"{value} is out of range; min is a number of nodes, 0 or more"))
    return value


#: EKS's default for a node group update is one node at a time; weft's is a third of the group.
DEFAULT_MAX_UNAVAILABLE = "33%"


def _check_max_unavailable(value: Any) -> int | str:
    """``max_unavailable``: 1 to 100 nodes, or ``"1%"`` to ``"100%"`` (EKS's ``updateConfig``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 1 <= value <= 100:
            return value
        raise problem(((), f"{value} is out of range; expected 1 to 100 nodes, or a percentage"))
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}%", value):
        if 1 <= int(value[:-1]) <= 100:
            return value
        raise problem(((), f"{value} is out of range; expected a percentage from 1% to 100%"))
    raise problem(
        (
            (),
            f'expected a node count (1 to 100) or a percentage like "33%", got {describe(value)}',
        )
    )


def _check_max(value: int) -> int:
    if value < 1:
        raise problem(((), f"{value} is out of range; max is a number of nodes, 1 or more"))
    return value


class NodeGroup(BaseModel):
    """An EKS managed node group: EC2 instances that join the cluster, scaled from min to max."""

    model_config = MODEL_CONFIG

    name: Annotated[
        str,
        AfterValidator(
            check_label(MAX_COMPUTE_NAME_LENGTH, "it becomes part of the node group's AWS name")
        ),
    ]
    instance_types: Annotated[list[str], AfterValidator(_check_instance_types)]
    min: Annotated[int, AfterValidator(_check_min)]
    max: Annotated[int, AfterValidator(_check_max)]
    # Always set after validation (the default is resolved from min and max).
    desired: int = 1
    spot: bool = False
    disk_gb: Annotated[
        int, AfterValidator(check_in_range(MIN_DISK_GB, MAX_DISK_GB, "a disk size in GB"))
    ] = 50
    #: The EKS AMI type; None: derived from the instance types (see the module docstring).
    ami_type: Annotated[str | None, BeforeValidator(_check_ami_type)] = None
    labels: Labels = Field(default_factory=dict)
    taints: Annotated[
        list[Taint], BeforeValidator(none_as_empty(list)), AfterValidator(_check_taints)
    ] = Field(default_factory=list)
    #: How many nodes a version update replaces at once (see the module docstring).
    max_unavailable: Annotated[int | str, PlainValidator(_check_max_unavailable)] = (
        DEFAULT_MAX_UNAVAILABLE
    )

    @model_validator(mode="before")
    @classmethod
    def _default_desired(cls, data: Any) -> Any:
        if isinstance(data, dict) and "desired" not in data:
            low, high = data.get("min"), data.get("max")
            if _is_int(low) and _is_int(high):
                data = {**data, "desired": min(max(low, 1), high)}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> NodeGroup:
        if self.min > self.max:
            raise problem(
                (
                    ("min",),
                    f"min {self.min} is larger than max {self.max}; the group scales between "
                    "them, so min must be at most max",
                )
            )
        if not self.min <= self.desired <= self.max:
            raise problem(
                (
                    ("desired",),
                    f"desired {self.desired} is outside the range from min {self.min} to max "
                    f"{self.max}; expected a node count from {self.min} to {self.max}",
                )
            )
        if self.ami_type is None:
            mix = mix_problem(self.instance_types)
            if mix is not None:
                raise problem((("instance_types",), mix))
        else:
            wanted = ami_architecture(self.ami_type)
            other = [t for t in self.instance_types if architecture(t) != wanted]
            if other:
                raise problem(
                    (
                        ("ami_type",),
                        f"{self.ami_type} runs on {wanted}, but {', '.join(other)} "
                        f"{'is' if len(other) == 1 else 'are'} {architecture(other[0])}; EKS "
                        "refuses such a node group: leave ami_type out (weft derives it from "
                        "the instance types) or choose one for the same architecture",
                    )
                )
        return self


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
