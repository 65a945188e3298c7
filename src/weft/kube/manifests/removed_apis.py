"""The Kubernetes APIs each minor version removes, and the API that replaces each.

Source: the Kubernetes "Deprecated API Migration Guide"
(https://kubernetes.io/docs/reference/using-api/deprecation-guide/), every removal it lists from
v1.16 on. A version removed is no longer served: an object written in it cannot be applied to
a cluster of that version or later. ``weft upgrade``'s preflight checks the apps' rendered
objects against the removals up to the target version (:func:`removal`).

Pure: a table and a look-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["REMOVED", "SOURCE", "Removal", "removal"]

SOURCE = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"


@dataclass(frozen=True)
class Removal:
    """``api_version`` of ``kind`` is no longer served from Kubernetes ``removed_in``; use
    ``replacement`` (None: no replacement API)."""

    api_version: str
    kind: str
    removed_in: str
    replacement: str | None


def _table(
    rows: list[tuple[str, tuple[str, ...], tuple[str, ...], str | None]],
) -> dict[tuple[str, str], Removal]:
    found: dict[tuple[str, str], Removal] = {}
    for removed_in, api_versions, kinds, replacement in rows:
        for api_version in api_versions:
            for kind in kinds:
                found[(api_version, kind)] = Removal(api_version, kind, removed_in, replacement)
    return found


_FLOW = ("FlowSchema", "PriorityLevelConfiguration")
_WEBHOOKS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_RBAC = ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
_REVIEWS = ("SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview")

#: (apiVersion, kind) -> its removal, as the migration guide lists them.
REMOVED: Mapping[tuple[str, str], Removal] = _table(
    [
        # v1.32
        (
            "1.32",
            ("flowcontrol.apiserver.k8s.io/v1beta3",),
            _FLOW,
            "flowcontrol.apiserver.k8s.io/v1",
        ),
        # v1.29
        (
            "1.29",
            ("flowcontrol.apiserver.k8s.io/v1beta2",),
            _FLOW,
            "flowcontrol.apiserver.k8s.io/v1",
        ),
        # v1.27
        ("1.27", ("storage.k8s.io/v1beta1",), ("CSIStorageCapacity",), "storage.k8s.io/v1"),
        # v1.26
        (
            "1.26",
            ("flowcontrol.apiserver.k8s.io/v1beta1",),
            _FLOW,
            "flowcontrol.apiserver.k8s.io/v1",
        ),
        ("1.26", ("autoscaling/v2beta2",), ("HorizontalPodAutoscaler",), "autoscaling/v2"),
        # v1.25
        ("1.25", ("batch/v1beta1",), ("CronJob",), "batch/v1"),
        ("1.25", ("discovery.k8s.io/v1beta1",), ("EndpointSlice",), "discovery.k8s.io/v1"),
        ("1.25", ("events.k8s.io/v1beta1",), ("Event",), "events.k8s.io/v1"),
        ("1.25", ("autoscaling/v2beta1",), ("HorizontalPodAutoscaler",), "autoscaling/v2"),
        ("1.25", ("policy/v1beta1",), ("PodDisruptionBudget",), "policy/v1"),
        ("1.25", ("policy/v1beta1",), ("PodSecurityPolicy",), None),
        ("1.25", ("node.k8s.io/v1beta1",), ("RuntimeClass",), "node.k8s.io/v1"),
        # v1.22
        (
            "1.22",
            ("admissionregistration.k8s.io/v1beta1",),
            _WEBHOOKS,
            "admissionregistration.k8s.io/v1",
        ),
        (
            "1.22",
            ("apiextensions.k8s.io/v1beta1",),
            ("CustomResourceDefinition",),
            "apiextensions.k8s.io/v1",
        ),
        ("1.22", ("apiregistration.k8s.io/v1beta1",), ("APIService",), "apiregistration.k8s.io/v1"),
        ("1.22", ("authentication.k8s.io/v1beta1",), ("TokenReview",), "authentication.k8s.io/v1"),
        ("1.22", ("authorization.k8s.io/v1beta1",), _REVIEWS, "authorization.k8s.io/v1"),
        (
            "1.22",
            ("certificates.k8s.io/v1beta1",),
            ("CertificateSigningRequest",),
            "certificates.k8s.io/v1",
        ),
        ("1.22", ("coordination.k8s.io/v1beta1",), ("Lease",), "coordination.k8s.io/v1"),
        (
            "1.22",
            ("extensions/v1beta1", "networking.k8s.io/v1beta1"),
            ("Ingress",),
            "networking.k8s.io/v1",
        ),
        ("1.22", ("networking.k8s.io/v1beta1",), ("IngressClass",), "networking.k8s.io/v1"),
        ("1.22", ("rbac.authorization.k8s.io/v1beta1",), _RBAC, "rbac.authorization.k8s.io/v1"),
        ("1.22", ("scheduling.k8s.io/v1beta1",), ("PriorityClass",), "scheduling.k8s.io/v1"),
        (
            "1.22",
            ("storage.k8s.io/v1beta1",),
            ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
            "storage.k8s.io/v1",
        ),
        # v1.16
        ("1.16", ("extensions/v1beta1",), ("NetworkPolicy",), "networking.k8s.io/v1"),
        ("1.16", ("extensions/v1beta1",), ("PodSecurityPolicy",), "policy/v1beta1"),
        ("1.16", ("extensions/v1beta1", "apps/v1beta2"), ("DaemonSet", "ReplicaSet"), "apps/v1"),
        (
            "1.16",
            ("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"),
            ("Deployment",),
            "apps/v1",
        ),
        ("1.16", ("apps/v1beta1", "apps/v1beta2"), ("StatefulSet",), "apps/v1"),
    ]
)


def _minor(version: str) -> int:
    try:
        return int(str(version).split(".")[1])
    except (IndexError, ValueError):
        return -1


def removal(api_version: str, kind: str, version: str) -> Removal | None:
    """The removal of ``api_version`` ``kind`` that a cluster of Kubernetes ``version`` has
    made (removed in that version or an earlier one), or None when it is still served."""
    found = REMOVED.get((api_version, kind))
    if found is None or _minor(found.removed_in) > _minor(version):
        return None
    return found
