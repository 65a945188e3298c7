"""The API versions weft renders for the kinds whose version depends on the cluster.

Current EKS serves the newest of each pair, Kubernetes 1.20 (the local cloud's) only the older
one. The shapes weft renders are the same in both (``batch/v1beta1`` CronJob,
``autoscaling/v2beta2`` HPA, ``policy/v1beta1`` PDB) except for ``networking.k8s.io/v1beta1``
Ingress, whose backend is ``serviceName``/``servicePort``. The client picks, per kind, the first
of :data:`NEGOTIATED` the cluster serves, and renders with that :class:`ApiVersions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["NEGOTIATED", "ApiVersions"]

#: Per kind, the versions weft renders, newest first (the ApiVersions field that holds it).
NEGOTIATED: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "CronJob": ("cronjob", ("batch/v1", "batch/v1beta1")),
    "HorizontalPodAutoscaler": ("hpa", ("autoscaling/v2", "autoscaling/v2beta2")),
    "PodDisruptionBudget": ("pdb", ("policy/v1", "policy/v1beta1")),
    "Ingress": ("ingress", ("networking.k8s.io/v1", "networking.k8s.io/v1beta1")),
}


def _newest(kind: str) -> str:
    return NEGOTIATED[kind][1][0]


@dataclass(frozen=True)
class ApiVersions:
    """The API version rendered for each kind whose version depends on the cluster.

    Negotiated by the client through discovery: the first of each pair the cluster serves. By
    default, the newest of each.
    """

    cronjob: str = _newest("CronJob")
    hpa: str = _newest("HorizontalPodAutoscaler")
    pdb: str = _newest("PodDisruptionBudget")
    ingress: str = _newest("Ingress")

    def __post_init__(self) -> None:
        for name, allowed in NEGOTIATED.values():
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"weft renders {name} in {' or '.join(allowed)}, not {getattr(self, name)!r}"
                )
