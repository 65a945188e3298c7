"""How traffic reaches an app: its Service, and its Ingress on the fabric's load balancer.

An app with a port has a Service: ``ClusterIP``, or ``LoadBalancer`` with ``load_balancer: true``
(a Network Load Balancer of its own, made by the AWS Load Balancer Controller from the
:data:`NLB` annotations). An app with ``ingress`` has an Ingress of class :data:`INGRESS_CLASS`:
a route on the fabric's one Application Load Balancer, which all its ingresses share through
the group named after the fabric (:data:`ALB` annotations); with TLS, on HTTPS with the fabric's
certificate, HTTP redirected to it.
"""

from __future__ import annotations

from typing import Any

from weft.errors import UsageError
from weft.fabricfile import App
from weft.kube.manifests.context import Context
from weft.kube.manifests.labelling import selector
from weft.kube.manifests.workloads import CONTAINER_PORT_NAME

__all__ = ["ALB", "INGRESS_CLASS", "NLB", "ingress", "service"]

INGRESS_CLASS = "alb"
#: The prefix of the AWS Load Balancer Controller's Ingress annotations.
ALB = "alb.ingress.kubernetes.io/"
#: The prefix of its Service annotations.
NLB = "service.beta.kubernetes.io/aws-load-balancer-"


def service(ctx: Context, app: App, port: int) -> dict[str, Any]:
    """The Service of ``app``, which listens on ``port``."""
    annotations = (
        {
            NLB + "type": "external",
            NLB + "nlb-target-type": "ip",
            NLB + "scheme": "internet-facing",
        }
        if app.load_balancer
        else None
    )
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": ctx.metadata(annotations=annotations),
        "spec": {
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
    """The Ingress of ``app``, which has ``ingress`` and listens on ``port``.

    Raises UsageError for TLS when the fabric's certificate is not known.
    """
    route = app.ingress
    assert route is not None
    annotations = {
        ALB + "scheme": "internet-facing",
        ALB + "target-type": "ip",
        ALB + "group.name": ctx.inp.fabric.name,
    }
    if route.tls:
        if ctx.inp.certificate_arn is None:
            raise UsageError(
                f"the ingress of {app.name} uses TLS, and the fabric's certificate is not known",
                hint="create it with: weft up",
            )
        annotations[ALB + "certificate-arn"] = ctx.inp.certificate_arn
        annotations[ALB + "listen-ports"] = '[{"HTTP": 80}, {"HTTPS": 443}]'
        annotations[ALB + "ssl-redirect"] = "443"
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
            "ingressClassName": INGRESS_CLASS,
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
