"""The AWS Load Balancer Controller as weft installs it: weft's own rendering of the objects the
controller's Helm chart makes, at one pinned version.

**Version.** :data:`VERSION` ``v3.5.0`` (chart 3.5.0, image
``public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0``): the newest release of
kubernetes-sigs/aws-load-balancer-controller when this rendering was written, which supports
every Kubernetes version EKS supports and whose published IAM policy
(:mod:`weft.model.lb_controller`) this follows. Changing the pin (with the objects and the policy
compared against the new chart) upgrades every fabric at its next ``weft deploy``.

**Objects** (:func:`objects`), as the chart makes them with its defaults, in ``kube-system``:
the CRDs the controller watches (TargetGroupBinding, IngressClassParams), its ServiceAccount
annotated with its IAM role (IRSA), RBAC (the chart's ClusterRole and leader-election Role), the
webhook Service (9443 → the pods' 9443; the chart's Service listens on 443, which no
unprivileged process may open in the local cloud; EKS calls the pods' port either way) and its
TLS Secret, the Mutating/ValidatingWebhookConfigurations with the CA bundle, the Deployment
(2 replicas spread over zones and hosts, ``--cluster-name``, ``--aws-region``,
``--aws-vpc-id``: pods have no IMDS on EKS with IMDSv2 hop limit 1), the IngressClass ``alb``
(controller ``ingress.k8s.aws/alb``) and a PodDisruptionBudget (1 may go).

One of the chart's defaults differs, on purpose: the **Service mutator webhook** is off (it
makes the controller the default for every ``LoadBalancer`` Service of every tool in the cluster;
weft's Services name the controller with ``aws-load-balancer-type: external``). The **Ingress
validation webhook** is on, as in the chart (``failurePolicy: Fail``: an Ingress write waits on
the controller's pods, which weft deploys and waits for before any app); the local cloud serves
it to its API server (:mod:`weft.local.kube.lb_webhooks`), so a bundle that does not match the
certificate, or a controller that is not running, fails there as on EKS. The other webhooks
(pods that opt in to readiness gates, TargetGroupBindings, IngressClassParams) are called only
for objects weft does not make.

**Webhook TLS** (:func:`webhook_tls`, from :mod:`weft.kube.webhook_tls`): weft makes a CA
(10 years) and a serving certificate for the webhook Service's names (1 year), keeps them in the
Secret, and renews the certificate when it has less than 30 days left, with a new CA: the bundle
the API server trusts then carries both CAs while the pods may still serve the old certificate
(the kubelet refreshes a mounted Secret within about a minute). The CA's key is never stored.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from weft.kube import webhook_tls as webhook_certs
from weft.kube.webhook_tls import WebhookTLS

__all__ = [
    "CONTROLLER",
    "IMAGE",
    "INGRESS_CLASS",
    "LOAD_BALANCER_CLASS",
    "NAME",
    "NAMESPACE",
    "TLS_SECRET",
    "VERSION",
    "WEBHOOK_SERVICE",
    "Settings",
    "WebhookTLS",
    "cluster_scoped",
    "objects",
    "webhook_tls",
]

VERSION = "v3.5.0"
IMAGE = f"public.ecr.aws/eks/aws-load-balancer-controller:{VERSION}"
NAME = "aws-load-balancer-controller"
NAMESPACE = "kube-system"
WEBHOOK_SERVICE = "aws-load-balancer-webhook-service"
TLS_SECRET = "aws-load-balancer-tls"
INGRESS_CLASS = "alb"
#: The IngressClass controller name and the Service load balancer class the controller answers.
CONTROLLER = "ingress.k8s.aws/alb"
LOAD_BALANCER_CLASS = "service.k8s.aws/nlb"
WEBHOOK_PORT = 9443
HEALTH_PORT = 61779
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
SELECTOR = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/instance": NAME}
LABELS = {
    **SELECTOR,
    "app.kubernetes.io/version": VERSION,
    "app.kubernetes.io/managed-by": "weft",
}


@dataclass(frozen=True)
class Settings:
    """What the controller is told about where it runs (it cannot ask IMDS); ``role_arn`` is
    its IRSA role, annotated on its ServiceAccount (empty: its role comes through an EKS Pod
    Identity association instead)."""

    cluster: str
    region: str
    vpc_id: str
    role_arn: str


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _meta(name: str, namespaced: bool = True, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(LABELS), **extra}
    if namespaced:
        meta["namespace"] = NAMESPACE
    return meta


def service_names() -> list[str]:
    """The names the webhook Service answers to (the serving certificate's)."""
    base = f"{WEBHOOK_SERVICE}.{NAMESPACE}"
    return [base, f"{base}.svc", f"{base}.svc.cluster.local"]


def webhook_tls(secret: dict[str, Any] | None, now: dt.datetime | None = None) -> WebhookTLS:
    """The webhook's CA and certificate (:func:`weft.kube.webhook_tls.webhook_tls`), for the
    names of the controller's webhook Service."""
    return webhook_certs.webhook_tls(secret, service_names(), f"{NAME}-ca", now)


# -------------------------------------------------------------------------------- objects
def _crd(plural: str, kind: str, short: list[str], spec_schema: dict[str, Any]) -> dict[str, Any]:
    group = "elbv2.k8s.aws"
    schema = {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema,
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    version = {
        "name": "v1beta1",
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": schema},
        "subresources": {"status": {}},
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": _meta(f"{plural}.{group}", namespaced=False),
        "spec": {
            "group": group,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short,
            },
            "scope": "Namespaced" if kind == "TargetGroupBinding" else "Cluster",
            "versions": [version],
        },
    }


def crds() -> list[dict[str, Any]]:
    """The CRDs the controller watches: TargetGroupBinding (what binds its target groups to
    Services) and IngressClassParams (what an IngressClass may fix for its Ingresses)."""
    tgb = {
        "type": "object",
        "required": ["serviceRef", "targetGroupARN"],
        "properties": {
            "serviceRef": {
                "type": "object",
                "required": ["name", "port"],
                "properties": {
                    "name": {"type": "string"},
                    "port": {"x-kubernetes-int-or-string": True},
                },
            },
            "targetGroupARN": {"type": "string", "minLength": 1},
            "targetGroupName": {"type": "string"},
            "targetType": {"type": "string", "enum": ["instance", "ip"]},
            "ipAddressType": {"type": "string", "enum": ["ipv4", "ipv6"]},
            "vpcID": {"type": "string"},
            "networking": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "nodeSelector": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    params = {
        "type": "object",
        "properties": {
            "group": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
            },
            "scheme": {"type": "string", "enum": ["internal", "internet-facing"]},
            "ipAddressType": {"type": "string"},
            "certificateArn": {"type": "array", "items": {"type": "string"}},
            "sslPolicy": {"type": "string"},
            "namespaceSelector": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "subnets": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "tags": {"type": "array", "items": {"type": "object"}},
            "loadBalancerAttributes": {"type": "array", "items": {"type": "object"}},
        },
    }
    return [
        _crd("targetgroupbindings", "TargetGroupBinding", ["tgb"], tgb),
        _crd("ingressclassparams", "IngressClassParams", [], params),
    ]


def _rule(groups: list[str], resources: list[str], verbs: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


def rbac() -> list[dict[str, Any]]:
    """The chart's ClusterRole (less the Gateway API and Global Accelerator rules: weft
    installs neither's CRDs) and leader-election Role, bound to the ServiceAccount."""
    leader = "aws-load-balancer-controller-leader"
    subject = [{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}]
    rbac_v1 = "rbac.authorization.k8s.io/v1"
    return [
        {
            "apiVersion": rbac_v1,
            "kind": "ClusterRole",
            "metadata": _meta(f"{NAME}-role", namespaced=False),
            "rules": [
                _rule([""], ["configmaps"], ["create", "delete", "get", "update"]),
                _rule([""], ["endpoints", "namespaces", "nodes", "pods"], ["get", "list", "watch"]),
                _rule([""], ["events"], ["create", "patch"]),
                _rule([""], ["pods/status", "services/status"], ["patch", "update"]),
                _rule([""], ["services"], ["get", "list", "patch", "update", "watch"]),
                _rule(["discovery.k8s.io"], ["endpointslices"], ["get", "list", "watch"]),
                _rule(["elbv2.k8s.aws"], ["ingressclassparams"], ["get", "list", "watch"]),
                _rule(
                    ["elbv2.k8s.aws"],
                    ["targetgroupbindings"],
                    ["create", "delete", "get", "list", "patch", "update", "watch"],
                ),
                _rule(["elbv2.k8s.aws"], ["targetgroupbindings/status"], ["patch", "update"]),
                _rule(
                    ["extensions", "networking.k8s.io"],
                    ["ingresses"],
                    ["get", "list", "patch", "update", "watch"],
                ),
                _rule(
                    ["extensions", "networking.k8s.io"], ["ingresses/status"], ["patch", "update"]
                ),
                _rule(["networking.k8s.io"], ["ingressclasses"], ["get", "list", "watch"]),
                _rule([""], ["secrets"], ["get", "list", "watch"]),
            ],
        },
        {
            "apiVersion": rbac_v1,
            "kind": "ClusterRoleBinding",
            "metadata": _meta(f"{NAME}-rolebinding", namespaced=False),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": f"{NAME}-role",
            },
            "subjects": subject,
        },
        {
            "apiVersion": rbac_v1,
            "kind": "Role",
            "metadata": _meta(f"{NAME}-leader-election-role"),
            "rules": [
                _rule([""], ["configmaps"], ["create"]),
                {
                    **_rule([""], ["configmaps"], ["get", "patch", "update"]),
                    "resourceNames": [leader],
                },
                _rule(["coordination.k8s.io"], ["leases"], ["create"]),
                {
                    **_rule(["coordination.k8s.io"], ["leases"], ["get", "update", "patch"]),
                    "resourceNames": [leader],
                },
            ],
        },
        {
            "apiVersion": rbac_v1,
            "kind": "RoleBinding",
            "metadata": _meta(f"{NAME}-leader-election-rolebinding"),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": f"{NAME}-leader-election-role",
            },
            "subjects": subject,
        },
    ]


def _hook(
    name: str, path: str, policy: str, rules: list[dict[str, Any]], bundle: str, **extra: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "admissionReviewVersions": ["v1"],
        "clientConfig": {
            "caBundle": _b64(bundle),
            "service": {
                "name": WEBHOOK_SERVICE,
                "namespace": NAMESPACE,
                "path": path,
                "port": WEBHOOK_PORT,
            },
        },
        "failurePolicy": policy,
        "sideEffects": "None",
        "rules": rules,
        **extra,
    }


def _not_the_controller() -> dict[str, Any]:
    return {
        "matchExpressions": [
            {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": [NAME]}
        ]
    }


def webhooks(bundle: str) -> list[dict[str, Any]]:
    """The chart's webhook configurations (less the Service mutator: see the module docstring),
    trusting ``bundle``."""
    pods = [
        {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
    ]

    def ours(resource: str) -> list[dict[str, Any]]:
        return [
            {
                "apiGroups": ["elbv2.k8s.aws"],
                "apiVersions": ["v1beta1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": [resource],
            }
        ]

    admission = "admissionregistration.k8s.io/v1"
    return [
        {
            "apiVersion": admission,
            "kind": "MutatingWebhookConfiguration",
            "metadata": _meta(f"{NAME}-webhook", namespaced=False),
            "webhooks": [
                _hook(
                    "mpod.elbv2.k8s.aws",
                    "/mutate-v1-pod",
                    "Ignore",
                    pods,
                    bundle,
                    namespaceSelector={
                        "matchExpressions": [
                            {
                                "key": "elbv2.k8s.aws/pod-readiness-gate-inject",
                                "operator": "In",
                                "values": ["enabled"],
                            }
                        ]
                    },
                    objectSelector=_not_the_controller(),
                ),
                _hook(
                    "mtargetgroupbinding.elbv2.k8s.aws",
                    "/mutate-elbv2-k8s-aws-v1beta1-targetgroupbinding",
                    "Fail",
                    ours("targetgroupbindings"),
                    bundle,
                ),
            ],
        },
        {
            "apiVersion": admission,
            "kind": "ValidatingWebhookConfiguration",
            "metadata": _meta(f"{NAME}-webhook", namespaced=False),
            "webhooks": [
                _hook(
                    "vingressclassparams.elbv2.k8s.aws",
                    "/validate-elbv2-k8s-aws-v1beta1-ingressclassparams",
                    "Fail",
                    ours("ingressclassparams"),
                    bundle,
                    objectSelector=_not_the_controller(),
                ),
                _hook(
                    "vtargetgroupbinding.elbv2.k8s.aws",
                    "/validate-elbv2-k8s-aws-v1beta1-targetgroupbinding",
                    "Fail",
                    ours("targetgroupbindings"),
                    bundle,
                ),
                _hook(
                    "vingress.elbv2.k8s.aws",
                    "/validate-networking-v1-ingress",
                    "Fail",
                    [
                        {
                            "apiGroups": ["networking.k8s.io"],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE", "UPDATE"],
                            "resources": ["ingresses"],
                        }
                    ],
                    bundle,
                    matchPolicy="Equivalent",
                ),
            ],
        },
    ]


def deployment(settings: Settings) -> dict[str, Any]:
    """The controller's Deployment: 2 replicas, spread over zones (and hosts), told its cluster,
    region and VPC."""
    probe = {
        "httpGet": {"path": "/healthz", "port": HEALTH_PORT, "scheme": "HTTP"},
        "failureThreshold": 2,
        "initialDelaySeconds": 30,
        "timeoutSeconds": 10,
    }
    ready = {
        "httpGet": {"path": "/readyz", "port": HEALTH_PORT, "scheme": "HTTP"},
        "failureThreshold": 2,
        "successThreshold": 1,
        "initialDelaySeconds": 10,
        "timeoutSeconds": 10,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(NAME),
        "spec": {
            "replicas": 2,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dict(SELECTOR)},
            "template": {
                "metadata": {
                    "labels": dict(SELECTOR),
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "8080"},
                },
                "spec": {
                    "serviceAccountName": NAME,
                    "priorityClassName": "system-cluster-critical",
                    "securityContext": {"fsGroup": 65534},
                    "terminationGracePeriodSeconds": 10,
                    "volumes": [
                        {"name": "cert", "secret": {"secretName": TLS_SECRET, "defaultMode": 420}}
                    ],
                    "containers": [
                        {
                            "name": NAME,
                            "image": IMAGE,
                            "imagePullPolicy": "IfNotPresent",
                            "args": [
                                f"--cluster-name={settings.cluster}",
                                f"--ingress-class={INGRESS_CLASS}",
                                f"--aws-region={settings.region}",
                                f"--aws-vpc-id={settings.vpc_id}",
                                f"--load-balancer-class={LOAD_BALANCER_CLASS}",
                                f"--webhook-bind-port={WEBHOOK_PORT}",
                            ],
                            "securityContext": {
                                "allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "volumeMounts": [
                                {
                                    "name": "cert",
                                    "readOnly": True,
                                    "mountPath": "/tmp/k8s-webhook-server/serving-certs",
                                }
                            ],
                            "ports": [
                                {
                                    "name": "webhook-server",
                                    "containerPort": WEBHOOK_PORT,
                                    "protocol": "TCP",
                                },
                                {
                                    "name": "metrics-server",
                                    "containerPort": 8080,
                                    "protocol": "TCP",
                                },
                            ],
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"memory": "512Mi"},
                            },
                            "livenessProbe": probe,
                            "readinessProbe": ready,
                        }
                    ],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": dict(SELECTOR)},
                        }
                    ],
                    "affinity": {
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {
                                    "weight": 100,
                                    "podAffinityTerm": {
                                        "labelSelector": {"matchLabels": dict(SELECTOR)},
                                        "topologyKey": "kubernetes.io/hostname",
                                    },
                                }
                            ]
                        }
                    },
                },
            },
        },
    }


def objects(
    settings: Settings, tls: WebhookTLS, pdb_api: str = "policy/v1"
) -> list[dict[str, Any]]:
    """Every object of the controller, in the order they are applied (CRDs and identity
    first, the webhooks before the Deployment that serves them, the IngressClass last); the
    PodDisruptionBudget in ``pdb_api``, the version the cluster serves."""
    return [
        *crds(),
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            # no annotation when the role comes through an EKS Pod Identity association
            "metadata": _meta(
                NAME,
                annotations={ROLE_ARN_ANNOTATION: settings.role_arn} if settings.role_arn else {},
            ),
        },
        *rbac(),
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _meta(TLS_SECRET),
            "type": "kubernetes.io/tls",
            "data": tls.secret_data(),
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(
                WEBHOOK_SERVICE, labels={**LABELS, "app.kubernetes.io/component": "webhook"}
            ),
            "spec": {
                # the protocol spelled out: server-side apply on older API servers needs it
                "ports": [
                    {
                        "name": "webhook-server",
                        "port": WEBHOOK_PORT,
                        "targetPort": "webhook-server",
                        "protocol": "TCP",
                    }
                ],
                "selector": dict(SELECTOR),
            },
        },
        *webhooks(tls.bundle),
        deployment(settings),
        {
            "apiVersion": pdb_api,
            "kind": "PodDisruptionBudget",
            "metadata": _meta(NAME),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(SELECTOR)}},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": _meta(INGRESS_CLASS, namespaced=False),
            "spec": {"controller": CONTROLLER},
        },
    ]


def cluster_scoped() -> list[tuple[str, str, str]]:
    """(apiVersion, kind, name) of the controller's cluster-wide objects, for its removal (the
    CRDs last: deleting them deletes every object of their kinds)."""
    return [
        ("networking.k8s.io/v1", "IngressClass", INGRESS_CLASS),
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", f"{NAME}-webhook"),
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", f"{NAME}-webhook"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", f"{NAME}-rolebinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", f"{NAME}-role"),
        (
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "targetgroupbindings.elbv2.k8s.aws",
        ),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "ingressclassparams.elbv2.k8s.aws"),
    ]
