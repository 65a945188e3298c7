"""What an EKS Auto Mode cluster's load balancers are asked through (pure rendering).

On an Auto Mode cluster EKS runs its own load-balancer controller, so weft installs none
(:func:`weft.model.lb_controller.needs_controller`). That controller answers only Ingresses of
an IngressClass naming ``eks.amazonaws.com/alb`` and Services of ``loadBalancerClass:
eks.amazonaws.com/nlb`` ("Create an IngressClass to configure an Application Load Balancer" and
"Use Service Annotations to configure Network Load Balancers", Amazon EKS User Guide), and it
takes what the AWS Load Balancer Controller reads from ``alb.ingress.kubernetes.io/scheme``,
``group.name`` and ``certificate-arn`` from the IngressClass's parameters instead: an
``IngressClassParams`` (``eks.amazonaws.com/v1``, cluster-scoped, its CRD made by EKS). weft
makes one IngressClass, :data:`INGRESS_CLASS`, with its IngressClassParams of the same name:
internet-facing, the fabric's group (one ALB for all its apps), and the fabric's certificate
when an app has TLS and the certificate is issued.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ALB_CONTROLLER",
    "INGRESS_CLASS",
    "NLB_CLASS",
    "PARAMS_API_VERSION",
    "PARAMS_CRD",
    "cluster_scoped",
    "ingress_class_objects",
]

#: The IngressClass weft makes on an Auto Mode cluster (not ``alb``: that one is the AWS Load
#: Balancer Controller's, and an IngressClass's controller cannot change).
INGRESS_CLASS = "eks-auto-alb"
#: The controller names Auto Mode answers.
ALB_CONTROLLER = "eks.amazonaws.com/alb"
NLB_CLASS = "eks.amazonaws.com/nlb"
PARAMS_API_VERSION = "eks.amazonaws.com/v1"
#: The CRD of IngressClassParams, which EKS makes on an Auto Mode cluster.
PARAMS_CRD = "ingressclassparams.eks.amazonaws.com"
_LABELS = {"app.kubernetes.io/managed-by": "weft"}


def ingress_class_objects(group: str, certificate_arn: str | None) -> list[dict[str, Any]]:
    """The IngressClassParams (first: the class names it) and the IngressClass of ``group``'s
    Ingresses, with ``certificate_arn`` for their HTTPS listeners when given."""
    params: dict[str, Any] = {"scheme": "internet-facing", "group": {"name": group}}
    if certificate_arn:
        params["certificateARNs"] = [certificate_arn]
    return [
        {
            "apiVersion": PARAMS_API_VERSION,
            "kind": "IngressClassParams",
            "metadata": {"name": INGRESS_CLASS, "labels": dict(_LABELS)},
            "spec": params,
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": INGRESS_CLASS, "labels": dict(_LABELS)},
            "spec": {
                "controller": ALB_CONTROLLER,
                "parameters": {
                    "apiGroup": PARAMS_API_VERSION.split("/")[0],
                    "kind": "IngressClassParams",
                    "name": INGRESS_CLASS,
                },
            },
        },
    ]


def cluster_scoped() -> list[tuple[str, str, str]]:
    """(apiVersion, kind, name) of those objects, in the order they are removed."""
    return [
        ("networking.k8s.io/v1", "IngressClass", INGRESS_CLASS),
        (PARAMS_API_VERSION, "IngressClassParams", INGRESS_CLASS),
    ]
