"""What the local Kubernetes the tests run on serves, by its version (the newest version
`make kube` cached, or ``$WEFT_K8S_VERSION``)."""

from __future__ import annotations

from weft.local.kube import binaries


def running_version() -> str:
    """The version the local cloud runs (``1.36.2``); the tests that need it have ``kube_api``."""
    version = binaries.selected_version()
    assert version is not None, binaries.unavailable_reason()
    return version


def served_api_versions(version: str) -> tuple[str, str, str, str]:
    """(CronJob, HPA, PDB, Ingress) API versions weft negotiates on ``version``: the v1 ones
    where the server has them (batch/v1 CronJob and policy/v1 PDB since 1.21, autoscaling/v2
    HPA since 1.23), else the beta ones 1.20 serves."""
    minor = binaries.minor_of(version)
    return (
        "batch/v1" if minor >= 21 else "batch/v1beta1",
        "autoscaling/v2" if minor >= 23 else "autoscaling/v2beta2",
        "policy/v1" if minor >= 21 else "policy/v1beta1",
        "networking.k8s.io/v1",
    )
