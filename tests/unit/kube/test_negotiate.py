"""Choosing API versions from what a cluster serves (pure)."""

from __future__ import annotations

import pytest

from weft.errors import KubeError
from weft.kube.client import negotiate

EKS_131 = {
    ("batch/v1", "Job"),
    ("batch/v1", "CronJob"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
}
K8S_120 = {
    ("batch/v1", "Job"),  # batch/v1 exists, without CronJob
    ("batch/v1beta1", "CronJob"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
    ("policy/v1beta1", "PodDisruptionBudget"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1beta1", "Ingress"),
}


def test_current_eks_gets_the_current_versions() -> None:
    v = negotiate(EKS_131 | K8S_120)
    assert (v.cronjob, v.hpa, v.pdb, v.ingress) == (
        "batch/v1",
        "autoscaling/v2",
        "policy/v1",
        "networking.k8s.io/v1",
    )


def test_kubernetes_1_20_gets_what_it_serves_by_kind_not_by_group_version() -> None:
    v = negotiate(K8S_120)
    assert (v.cronjob, v.hpa, v.pdb) == ("batch/v1beta1", "autoscaling/v2beta2", "policy/v1beta1")


def test_a_kind_served_in_no_known_version_is_a_clear_error() -> None:
    with pytest.raises(KubeError, match="CronJob in none of batch/v1, batch/v1beta1"):
        negotiate(K8S_120 - {("batch/v1beta1", "CronJob")})
