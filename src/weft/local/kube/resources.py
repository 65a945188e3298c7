"""What pods ask of a node and what a node has room for, as kube-scheduler's ``NodeResourcesFit``
plugin counts it (pure).

A pod's request is the sum of its containers' ``resources.requests`` (cpu, memory), or the
largest init container's when that is more ("Resource Management for Pods and Containers",
Kubernetes documentation: "Init containers … the highest of any particular resource request …
is the effective init request"), plus one pod. A pod fits a node when what the pods already
bound to it (and not finished) request, plus its own, is within the node's
``status.allocatable``; otherwise the scheduler's reasons are ``Insufficient cpu``,
``Insufficient memory`` and ``Too many pods``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

_QUANTITY = re.compile(r"([+-]?[0-9.]+)([eE][+-]?[0-9]+|[numkMGTPE]i?|Ki)?")
_SUFFIXES = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


def quantity(value: Any) -> Decimal:
    """The value of a Kubernetes quantity (``500m`` -> 0.5, ``1Gi`` -> 1073741824); 0 for what
    is not one (the API server refuses those before a pod exists)."""
    match = _QUANTITY.fullmatch(str(value).strip())
    if not match:
        return Decimal(0)
    number, suffix = match.group(1), match.group(2) or ""
    try:
        if suffix[:1] in ("e", "E"):
            return Decimal(number) * Decimal(10) ** int(suffix[1:])
        return Decimal(number) * _SUFFIXES.get(suffix, Decimal(1))
    except (InvalidOperation, ValueError):
        return Decimal(0)


@dataclass(frozen=True)
class Request:
    """cpu (cores), memory (bytes) and pods."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)
    pods: int = 0

    def __add__(self, other: Request) -> Request:
        return Request(self.cpu + other.cpu, self.memory + other.memory, self.pods + other.pods)


def _container(c: dict[str, Any]) -> Request:
    requests = (c.get("resources") or {}).get("requests") or {}
    return Request(quantity(requests.get("cpu", 0)), quantity(requests.get("memory", 0)))


def pod_request(pod: dict[str, Any]) -> Request:
    """What ``pod`` asks of its node (see the module docstring)."""
    spec = pod.get("spec") or {}
    total = Request()
    for c in spec.get("containers") or []:
        total = total + _container(c)
    for c in spec.get("initContainers") or []:
        init = _container(c)
        total = Request(max(total.cpu, init.cpu), max(total.memory, init.memory))
    return total + Request(pods=1)


def allocatable(node: dict[str, Any]) -> Request:
    """What a node has room for (``status.allocatable``)."""
    alloc = (node.get("status") or {}).get("allocatable") or {}
    return Request(
        quantity(alloc.get("cpu", 0)),
        quantity(alloc.get("memory", 0)),
        int(quantity(alloc.get("pods", 0))),
    )


def is_finished(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def used_by_node(pods: Iterable[dict[str, Any]]) -> dict[str, Request]:
    """Node name -> what the unfinished pods bound to it request."""
    used: dict[str, Request] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node and not is_finished(pod):
            used[node] = used.get(node, Request()) + pod_request(pod)
    return used


def fit_problem(pod: Request, room: Request, used: Request) -> str | None:
    """None when a pod asking ``pod`` fits a node with ``room`` of which ``used`` is taken; else
    the scheduler's reason."""
    if used.pods + pod.pods > room.pods:
        return "Too many pods"
    if used.cpu + pod.cpu > room.cpu:
        return "Insufficient cpu"
    if used.memory + pod.memory > room.memory:
        return "Insufficient memory"
    return None
