"""Where a pending pod may run: the scheduler's one decision the kubelet simulator makes (pure).

There is no kube-scheduler in the local Kubernetes. A pending pod (:func:`is_pending`) goes to
the first node, in round-robin order from a start the caller turns, that is Ready and
schedulable, matches the pod's ``nodeSelector`` and required node affinity, and carries no
NoSchedule / NoExecute taint the pod does not tolerate, and — when the caller counts what the
nodes' pods request — has room for the pod's requests (:mod:`.resources`; every node the kubelet
simulator registers reports its allocatable, a node that reports none is not counted)
(:func:`place`). When none fits, the
pod is Unschedulable with the message the scheduler would give (``0/3 nodes are available:
...``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from weft.local.kube import resources
from weft.local.kube.meta import meta
from weft.local.kube.node import is_ready


def is_pending(pod: dict[str, Any]) -> bool:
    """Whether the pod waits for the default scheduler: unbound, not being deleted, Pending."""
    spec = pod.get("spec") or {}
    return (
        not spec.get("nodeName")
        and not meta(pod).get("deletionTimestamp")
        and (pod.get("status") or {}).get("phase", "Pending") == "Pending"
        and spec.get("schedulerName", "default-scheduler") == "default-scheduler"
    )


def _match_expression(labels: dict[str, str], expr: dict[str, Any]) -> bool:
    k, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    present = k in labels
    if op == "In":
        return present and labels[k] in values
    if op == "NotIn":
        return not present or labels[k] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and values:
        try:
            a, b = int(labels[k]), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def _affinity_ok(pod: dict[str, Any], labels: dict[str, str]) -> bool:
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    return any(
        all(_match_expression(labels, e) for e in (term.get("matchExpressions") or []))
        for term in terms
    )


def _tolerates(tolerations: list[dict[str, Any]], taint: dict[str, Any]) -> bool:
    for tol in tolerations:
        effect = tol.get("effect")
        if effect and effect != taint.get("effect"):
            continue
        op = tol.get("operator") or "Equal"
        tkey = tol.get("key")
        if not tkey and op == "Exists":
            return True
        if tkey != taint.get("key"):
            continue
        if op == "Exists" or (tol.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def fit_problem(
    pod: dict[str, Any], node: dict[str, Any], used: resources.Request | None = None
) -> str | None:
    """None when ``pod`` may run on ``node`` (whose pods request ``used``, when counted); else
    the scheduler's reason."""
    spec = node.get("spec") or {}
    labels = meta(node).get("labels") or {}
    if spec.get("unschedulable"):
        return "node(s) were unschedulable"
    if not is_ready(node):
        return "node(s) were not ready"
    pod_spec = pod.get("spec") or {}
    selector = pod_spec.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()) or not _affinity_ok(pod, labels):
        return "node(s) didn't match node selector"
    tolerations = pod_spec.get("tolerations") or []
    for taint in spec.get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(
            tolerations, taint
        ):
            return (
                f"node(s) had taint {{{taint.get('key')}: {taint.get('value', '')}}}, that "
                "the pod didn't tolerate"
            )
    if used is not None and (node.get("status") or {}).get("allocatable"):
        return resources.fit_problem(resources.pod_request(pod), resources.allocatable(node), used)
    return None


@dataclass(frozen=True)
class Placement:
    """The node a pod goes to; or, when ``node`` is None, why none fits (``message``)."""

    node: str | None
    message: str = ""


def place(
    pod: dict[str, Any],
    nodes: list[dict[str, Any]],
    start: int,
    used: Mapping[str, resources.Request] | None = None,
) -> Placement:
    """The first node that fits ``pod``, looking from ``nodes[start % len(nodes)]`` round;
    with ``used`` (node name -> what its pods request), only a node with room for it."""
    problems: dict[str, int] = {}
    for i in range(len(nodes)):
        node = nodes[(start + i) % len(nodes)]
        taken = None if used is None else used.get(meta(node)["name"], resources.Request())
        problem = fit_problem(pod, node, taken)
        if problem:
            problems[problem] = problems.get(problem, 0) + 1
            continue
        return Placement(meta(node)["name"])
    return Placement(
        None,
        f"0/{len(nodes)} nodes are available: "
        + ", ".join(f"{count} {problem}" for problem, count in sorted(problems.items()))
        + ".",
    )


def unschedulable_condition(message: str, stamp: str) -> dict[str, Any]:
    """The ``PodScheduled=False`` condition of a pod no node fits."""
    return {
        "type": "PodScheduled",
        "status": "False",
        "reason": "Unschedulable",
        "message": message,
        "lastTransitionTime": stamp,
    }
