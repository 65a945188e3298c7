"""The order objects are applied in, by kind, and deleted in: the reverse.

A Namespace before what lives in it, a ServiceAccount and a Secret before the pods that use
them, a Service before the Ingress that routes to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["APPLY_ORDER", "apply_order", "delete_order"]

#: Kinds in the order they are applied; deleted in reverse.
APPLY_ORDER = (
    "Namespace",
    "ServiceAccount",
    "Secret",
    "Service",
    "Deployment",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
    "CronJob",
)


def _rank(obj: Mapping[str, Any]) -> int:
    kind = obj.get("kind")
    return APPLY_ORDER.index(kind) if kind in APPLY_ORDER else len(APPLY_ORDER)


def apply_order(objs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects sorted by kind for applying (:data:`APPLY_ORDER`; other kinds last), stably."""
    return sorted(objs, key=_rank)


def delete_order(objs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects in the reverse of :func:`apply_order`: dependents first."""
    return list(reversed(apply_order(objs)))
