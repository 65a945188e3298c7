"""How traffic reaches an app: its Service, and its Ingress on the fabric's load balancer.

An app with a port has a Service: ``ClusterIP``, or ``LoadBalancer`` with ``load_balancer: true``
(a Network Load Balancer of its own, made by the AWS Load Balancer Controller from the
:data:`NLB` annotations). An app with ``ingress`` has an Ingress of class :data:`INGRESS_CLASS`:
a route on the fabric's one Application Load Balancer, which all its ingresses share through
the group named after the fabric (:data:`ALB` annotations); with TLS, on HTTPS with the fabric's
certificate and the :data:`TLS_POLICY` security policy, HTTP redirected to it; its target group's
health check on the app's health path.

On an EKS Auto Mode cluster (``cluster.compute: auto``) the same app is rendered for Auto Mode's
own controller (:mod:`weft.kube.auto_mode`): the Ingress is of class
:data:`~weft.kube.auto_mode.INGRESS_CLASS`, whose IngressClassParams hold the scheme, the
fabric's group and its certificate (Auto Mode reads no scheme, group or certificate annotation),
and a load-balanced Service asks for ``loadBalancerClass: eks.amazonaws.com/nlb`` instead of the
``aws-load-balancer-type`` annotation, which Auto Mode does not read.
"""

from __future__ import annotations

from typing import Any

from weft.fabricfile import App, Fabric
from weft.kube import auto_mode
from weft.kube.manifests.context import Context
from weft.kube.manifests.labelling import HTTPS_SKIPPED_ANNOTATION, selector
from weft.kube.manifests.workloads import CONTAINER_PORT_NAME

__all__ = [
    "ALB",
    "HTTPS_SKIPPED",
    "INGRESS_CLASS",
    "NLB",
    "TLS_POLICY",
    "ingress",
    "on_auto_mode",
    "service",
]

INGRESS_CLASS = "alb"
#: The prefix of the AWS Load Balancer Controller's Ingress annotations.
ALB = "alb.ingress.kubernetes.io/"
#: The security policy of HTTPS listeners: TLS 1.3 and 1.2 only, forward secrecy ("Security
#: policies for your Application Load Balancer", Elastic Load Balancing User Guide).
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
#: Set on an Ingress with TLS rendered without HTTPS (the fabric's certificate is not issued).
HTTPS_SKIPPED = HTTPS_SKIPPED_ANNOTATION
#: The prefix of its Service annotations.
NLB = "service.beta.kubernetes.io/aws-load-balancer-"


def on_auto_mode(fabric: Fabric) -> bool:
    """Whether the fabric's load balancers are EKS Auto Mode's (see the module docstring)."""
    return fabric.cluster is not None and fabric.cluster.auto_mode


def service(ctx: Context, app: App, port: int) -> dict[str, Any]:
    """The Service of ``app``, which listens on ``port``."""
    auto = on_auto_mode(ctx.inp.fabric)
    annotations = None
    extra: dict[str, Any] = {}
    if app.load_balancer:
        annotations = {NLB + "nlb-target-type": "ip", NLB + "scheme": "internet-facing"}
        if auto:
            extra["loadBalancerClass"] = auto_mode.NLB_CLASS
        else:
            annotations = {NLB + "type": "external", **annotations}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": ctx.metadata(annotations=annotations),
        "spec": {
            **extra,
            "type": "LoadBalancer" if app.load_balancer else "ClusterIP",
            "selector": selector(ctx.inp.fabric, ctx.name),
            "ports": [
                {
                    "name": CONTAINER_PORT_NAME,
                    "port": port,
                    "targetPort": CONTAINER_PORT_NAME,
                    "protocol": "TCP",
                }
            ],
        },
    }


def ingress(ctx: Context, app: App, port: int) -> dict[str, Any]:
    """The Ingress of ``app``, which has ``ingress`` and listens on ``port``; with TLS and no
    certificate known yet, HTTP only, marked :data:`HTTPS_SKIPPED`."""
    route = app.ingress
    assert route is not None
    auto = on_auto_mode(ctx.inp.fabric)
    # on Auto Mode, the scheme, group and certificate are the IngressClassParams'
    annotations = (
        {ALB + "target-type": "ip"}
        if auto
        else {
            ALB + "scheme": "internet-facing",
            ALB + "target-type": "ip",
            ALB + "group.name": ctx.inp.fabric.name,
        }
    )
    if route.tls and ctx.inp.certificate_arn is None:
        # no certificate yet (not made, or waiting for the zone's delegation): HTTP only, said on
        # the object and by deploy, until a deploy after the certificate is issued
        annotations[HTTPS_SKIPPED] = (
            "the fabric's certificate is not issued yet: HTTP only until weft deploy runs "
            "after weft up has it"
        )
        annotations[ALB + "listen-ports"] = '[{"HTTP": 80}]'
    elif route.tls:
        assert ctx.inp.certificate_arn is not None
        if not auto:
            annotations[ALB + "certificate-arn"] = ctx.inp.certificate_arn
        annotations[ALB + "listen-ports"] = '[{"HTTP": 80}, {"HTTPS": 443}]'
        annotations[ALB + "ssl-redirect"] = "443"
        annotations[ALB + "ssl-policy"] = TLS_POLICY
    else:
        annotations[ALB + "listen-ports"] = '[{"HTTP": 80}]'
    if app.health is not None:
        annotations[ALB + "healthcheck-path"] = app.health.path
        if app.health.port is not None and app.health.port != port:
            annotations[ALB + "healthcheck-port"] = str(app.health.port)
    if ctx.inp.versions.ingress == "networking.k8s.io/v1beta1":
        backend: dict[str, Any] = {"serviceName": app.name, "servicePort": port}
    else:
        backend = {"service": {"name": app.name, "port": {"number": port}}}
    return {
        "apiVersion": ctx.inp.versions.ingress,
        "kind": "Ingress",
        "metadata": ctx.metadata(annotations=annotations),
        "spec": {
            "ingressClassName": auto_mode.INGRESS_CLASS if auto else INGRESS_CLASS,
            "rules": [
                {
                    "host": route.host,
                    "http": {
                        "paths": [{"path": route.path, "pathType": "Prefix", "backend": backend}]
                    },
                }
            ],
        },
    }
