"""The Cluster Autoscaler as weft installs it: weft's own rendering of what the autoscaler's Helm
chart (kubernetes/autoscaler ``charts/cluster-autoscaler``) makes for AWS with auto-discovery.

**Why the Cluster Autoscaler, not Karpenter.** A fabric's nodes are EKS managed node groups with
a ``min``/``max`` in the fabric file; the Cluster Autoscaler scales exactly those groups (their
Auto Scaling groups, which EKS tags for its discovery), within exactly those bounds, so the file
stays the one place that says how big the cluster may get, ``plan`` and ``cost`` keep reading
the same groups, and node upgrades stay EKS's managed rollouts (:mod:`weft.ops.upgrade`).
Karpenter would bypass the node groups: it launches instances itself from NodePools, which
would need an SQS interruption queue, EventBridge rules, a node role and instance profile it
passes, its CRDs and a second description of the nodes beside the file's node groups — and the
nodes it launches are not deleted with the node groups (they outlive ``down`` unless drained
first: karpenter-provider-aws#1955). EKS Auto Mode, where a fabric wants nodes chosen per pod,
brings its own autoscaler.

**Version.** The autoscaler's releases follow Kubernetes' minor versions and "we strongly
recommend using Cluster Autoscaler with version for which it was meant" (its README's release
table): :func:`image_for` gives ``registry.k8s.io/autoscaling/cluster-autoscaler:v1.<minor>.0``
for the cluster's minor, from :data:`MINORS` (the minors EKS offers; ``.0``, the first release of
each minor, is the one that exists for all). So an upgrade of the cluster (``weft upgrade``)
moves the autoscaler with it at the next ``weft deploy``; a minor outside :data:`MINORS` is
refused rather than run with a mismatched autoscaler.

**Objects** (:func:`objects`), in ``kube-system``: the ServiceAccount annotated with the IAM
role (IRSA, :mod:`weft.model.cluster_autoscaler`), RBAC (the chart's ClusterRole and its Role
for the status ConfigMap and leader election), the Deployment (one replica, leader-elected,
``system-cluster-critical``; ``--cloud-provider=aws``,
``--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/<cluster>``,
``--balance-similar-node-groups``, ``--skip-nodes-with-system-pods=false``, and the region in
``AWS_REGION``: pods have no IMDS on EKS with an IMDSv2 hop limit of 1) and a
PodDisruptionBudget. The groups' min and max are the node groups' (EKS sets them on the Auto
Scaling groups); the autoscaler never goes beyond them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "DISCOVERY_TAG",
    "MINORS",
    "NAME",
    "NAMESPACE",
    "Settings",
    "cluster_scoped",
    "image_for",
    "namespaced",
    "objects",
]

NAME = "cluster-autoscaler"
NAMESPACE = "kube-system"
REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"
#: The Kubernetes minors (1.x) an autoscaler is pinned for: those EKS offers.
MINORS = range(28, 37)
#: The tag of the groups the autoscaler discovers; the second tag names the cluster.
DISCOVERY_TAG = "k8s.io/cluster-autoscaler/enabled"
METRICS_PORT = 8085
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
SELECTOR = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/instance": NAME}


@dataclass(frozen=True)
class Settings:
    """What the autoscaler is told about where it runs (it cannot ask IMDS)."""

    cluster: str
    region: str
    role_arn: str
    #: the cluster's Kubernetes version (``1.x``), which picks the autoscaler's
    kubernetes_version: str


def minor_of(version: str) -> int | None:
    """The minor of a ``1.x`` (or ``1.x.y``) version, or None."""
    parts = str(version).removeprefix("v").split(".")
    if len(parts) < 2 or parts[0] != "1" or not parts[1].isdigit():
        return None
    return int(parts[1])


def version_for(kubernetes_version: str) -> str:
    """The autoscaler version for a cluster of ``kubernetes_version``; ValueError outside
    :data:`MINORS`."""
    minor = minor_of(kubernetes_version)
    if minor is None or minor not in MINORS:
        known = f"1.{MINORS[0]}-1.{MINORS[-1]}"
        raise ValueError(
            f"no Cluster Autoscaler is pinned for Kubernetes {kubernetes_version} "
            f"(weft pins one for {known})"
        )
    return f"v1.{minor}.0"


def image_for(kubernetes_version: str) -> str:
    """The autoscaler image for a cluster of ``kubernetes_version`` (see the module docstring)."""
    return f"{REPOSITORY}:{version_for(kubernetes_version)}"


def _labels(version: str) -> dict[str, str]:
    return {
        **SELECTOR,
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/managed-by": "weft",
    }


def _meta(name: str, version: str, namespaced: bool = True, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": _labels(version), **extra}
    if namespaced:
        meta["namespace"] = NAMESPACE
    return meta


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def args(settings: Settings) -> list[str]:
    """The autoscaler's command-line arguments."""
    return [
        "--cloud-provider=aws",
        f"--namespace={NAMESPACE}",
        f"--node-group-auto-discovery=asg:tag={DISCOVERY_TAG},"
        f"k8s.io/cluster-autoscaler/{settings.cluster}",
        "--balance-similar-node-groups",
        "--skip-nodes-with-system-pods=false",
        "--skip-nodes-with-local-storage=false",
        "--expander=least-waste",
        "--logtostderr=true",
        "--stderrthreshold=info",
        "--v=4",
    ]


def rbac(version: str) -> list[dict[str, Any]]:
    """The chart's ClusterRole and Role, bound to the ServiceAccount."""
    subject = [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]
    rbac_v1 = "rbac.authorization.k8s.io/v1"
    read = ["get", "list", "watch"]
    return [
        {
            "apiVersion": rbac_v1,
            "kind": "ClusterRole",
            "metadata": _meta(NAME, version, namespaced=False),
            "rules": [
                _rule([""], ["events", "endpoints"], ["create", "patch"]),
                _rule([""], ["pods/eviction"], ["create"]),
                _rule([""], ["pods/status"], ["update"]),
                {**_rule([""], ["endpoints"], ["get", "update"]), "resourceNames": [NAME]},
                _rule([""], ["nodes"], ["get", "list", "watch", "update"]),
                _rule(
                    [""],
                    [
                        "namespaces",
                        "pods",
                        "services",
                        "replicationcontrollers",
                        "persistentvolumeclaims",
                        "persistentvolumes",
                    ],
                    read,
                ),
                _rule(["extensions"], ["replicasets", "daemonsets"], read),
                _rule(["policy"], ["poddisruptionbudgets"], ["watch", "list"]),
                _rule(["apps"], ["statefulsets", "replicasets", "daemonsets"], read),
                _rule(
                    ["storage.k8s.io"],
                    ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities"],
                    read,
                ),
                _rule(["batch", "extensions"], ["jobs"], ["get", "list", "watch", "patch"]),
                _rule(["batch"], ["cronjobs"], read),
                _rule(
                    ["resource.k8s.io"], ["resourceclaims", "resourceslices", "deviceclasses"], read
                ),
                _rule(["coordination.k8s.io"], ["leases"], ["create"]),
                {
                    **_rule(["coordination.k8s.io"], ["leases"], ["get", "update"]),
                    "resourceNames": [NAME],
                },
            ],
        },
        {
            "apiVersion": rbac_v1,
            "kind": "ClusterRoleBinding",
            "metadata": _meta(NAME, version, namespaced=False),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": NAME,
            },
            "subjects": subject,
        },
        {
            "apiVersion": rbac_v1,
            "kind": "Role",
            "metadata": _meta(NAME, version),
            "rules": [
                _rule([""], ["configmaps"], ["create", "list", "watch"]),
                {
                    **_rule([""], ["configmaps"], ["delete", "get", "update", "watch"]),
                    "resourceNames": [
                        "cluster-autoscaler-status",
                        "cluster-autoscaler-priority-expander",
                    ],
                },
            ],
        },
        {
            "apiVersion": rbac_v1,
            "kind": "RoleBinding",
            "metadata": _meta(NAME, version),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
            "subjects": subject,
        },
    ]


def deployment(settings: Settings) -> dict[str, Any]:
    """The autoscaler's Deployment (see the module docstring)."""
    version = version_for(settings.kubernetes_version)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(NAME, version),
        "spec": {
            "replicas": 1,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dict(SELECTOR)},
            "template": {
                "metadata": {
                    "labels": dict(SELECTOR),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(METRICS_PORT),
                        # it must not be the reason its own node cannot be removed
                        "cluster-autoscaler.kubernetes.io/safe-to-evict": "false",
                    },
                },
                "spec": {
                    "serviceAccountName": NAME,
                    "priorityClassName": "system-cluster-critical",
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 65534,
                        "runAsGroup": 65534,
                        "fsGroup": 65534,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": NAME,
                            "image": image_for(settings.kubernetes_version),
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["./cluster-autoscaler"],
                            "args": args(settings),
                            "env": [
                                {"name": "AWS_REGION", "value": settings.region},
                                {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "regional"},
                            ],
                            "ports": [
                                {"name": "http", "containerPort": METRICS_PORT, "protocol": "TCP"}
                            ],
                            "livenessProbe": {
                                "httpGet": {"path": "/health-check", "port": METRICS_PORT}
                            },
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "600Mi"},
                                "limits": {"memory": "600Mi"},
                            },
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                        }
                    ],
                },
            },
        },
    }


def objects(settings: Settings, pdb_api: str = "policy/v1") -> list[dict[str, Any]]:
    """Every object of the autoscaler, in the order they are applied (identity first, the
    Deployment after its permissions); the PodDisruptionBudget in ``pdb_api``, the version the
    cluster serves. ValueError for a cluster version with no pinned autoscaler."""
    version = version_for(settings.kubernetes_version)
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(NAME, version, annotations={ROLE_ARN_ANNOTATION: settings.role_arn}),
        },
        *rbac(version),
        deployment(settings),
        {
            "apiVersion": pdb_api,
            "kind": "PodDisruptionBudget",
            "metadata": _meta(NAME, version),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(SELECTOR)}},
        },
    ]


def namespaced() -> list[tuple[str, str, str]]:
    """(apiVersion, kind, name) of the autoscaler's namespaced objects, for its removal (the
    Deployment first, so nothing scales while the rest goes; the status ConfigMap it writes)."""
    return [
        ("apps/v1", "Deployment", NAME),
        ("policy/v1", "PodDisruptionBudget", NAME),
        ("rbac.authorization.k8s.io/v1", "RoleBinding", NAME),
        ("rbac.authorization.k8s.io/v1", "Role", NAME),
        ("v1", "ServiceAccount", NAME),
        ("v1", "ConfigMap", "cluster-autoscaler-status"),
    ]


def cluster_scoped() -> list[tuple[str, str, str]]:
    """(apiVersion, kind, name) of the autoscaler's cluster-wide objects, for its removal."""
    return [
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", NAME),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", NAME),
    ]
