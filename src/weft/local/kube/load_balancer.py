"""What the load-balancer controller simulator decides (pure): which objects are the
controller's and want a load balancer, how the AWS Load Balancer Controller names and tags it,
which subnets it goes in, which listeners, target groups and security group it needs, and which
load balancer is whose to delete.

**Whose.** The controller answers an Ingress whose ``ingressClassName`` names an IngressClass
of controller ``ingress.k8s.aws/alb`` (or, without a class name, whose
``kubernetes.io/ingress.class`` annotation is its ``--ingress-class``), and a ``LoadBalancer``
Service whose ``loadBalancerClass`` is its ``--load-balancer-class`` (or, without a class,
whose ``service.beta.kubernetes.io/aws-load-balancer-type`` is ``external`` or ``nlb-ip``);
other Services are the in-tree cloud provider's ("Ingress class" and "Network load balancing"
in the controller's documentation).

**Ingress listeners** ("Ingress annotations", controller documentation): the
``listen-ports`` annotation (default HTTP 80; HTTPS 443 once a certificate is annotated), the
``certificate-arn`` and ``ssl-policy`` (default ``ELBSecurityPolicy-2016-08``) of HTTPS
listeners, ``ssl-redirect`` (HTTP listeners redirect to that port with a 301), and per backend a
target group of ``target-type`` (default ``instance``) health-checked on ``healthcheck-path``
(default ``/``). An HTTPS port without a certificate is the controller's error, not a listener.

The names, tags, annotations and finalizers are the AWS Load Balancer Controller's, as it
writes them on EKS; :mod:`weft.local.kube.lb_cloud` does the AWS calls and
:mod:`weft.local.kube.lb_sim` the Kubernetes side.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from weft.local.kube.meta import key, meta

SERVICE_FINALIZER = "service.k8s.aws/resources"
INGRESS_FINALIZER = "ingress.k8s.aws/resources"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
SCHEME_SERVICE = "service.beta.kubernetes.io/aws-load-balancer-scheme"
SCHEME_INGRESS = "alb.ingress.kubernetes.io/scheme"
GROUP_INGRESS = "alb.ingress.kubernetes.io/group.name"
#: The scheme when no annotation says (the controller's default).
DEFAULT_SCHEME = "internal"
#: The IngressClass controller name of the AWS Load Balancer Controller.
CONTROLLER = "ingress.k8s.aws/alb"
TYPE_SERVICE = "service.beta.kubernetes.io/aws-load-balancer-type"
#: The Ingress annotations of listeners and targets.
ALB = "alb.ingress.kubernetes.io/"
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-2016-08"
#: Subnet roles: where internet-facing and internal load balancers go.
PUBLIC_ROLE = "kubernetes.io/role/elb"
INTERNAL_ROLE = "kubernetes.io/role/internal-elb"


@dataclass(frozen=True)
class Where:
    """The EKS cluster, region and VPC a load balancer belongs in."""

    cluster: str
    region: str
    vpc_id: str | None


def _clean(text: str, size: int) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())[:size]


def lb_name(cluster: str, stack: str, scheme: str) -> str:
    """``k8s-<ns>-<name>-<hash>`` (≤ 32 chars), the controller's naming scheme."""
    digest = hashlib.sha256(f"{cluster}|{stack}|{scheme}".encode()).hexdigest()[:10]
    if "/" in stack:
        ns, name = stack.split("/", 1)
        return f"k8s-{_clean(ns, 8)}-{_clean(name, 8)}-{digest}"
    return f"k8s-{_clean(stack, 17)}-{digest}"


def tg_name(cluster: str, stack: str, port: int) -> str:
    digest = hashlib.sha256(f"{cluster}|{stack}|{port}".encode()).hexdigest()[:10]
    ns, _, name = stack.partition("/")
    return f"k8s-{_clean(ns, 8)}-{_clean(name, 8)}-{digest}"


def _prefix(kind: str) -> str:
    return "service" if kind == "Service" else "ingress"


def lb_tags(cluster: str, kind: str, stack: str) -> dict[str, str]:
    """The tags the controller puts on the load balancer of a Service or Ingress stack."""
    prefix = _prefix(kind)
    return {
        CLUSTER_TAG: cluster,
        f"{prefix}.k8s.aws/stack": stack,
        f"{prefix}.k8s.aws/resource": "LoadBalancer",
        f"kubernetes.io/cluster/{cluster}": "owned",
    }


def tg_tags(tags: dict[str, str], stack: str, port: int) -> dict[str, str]:
    """The tags of a Service port's target group: its load balancer's, naming the port."""
    return {**tags, "service.k8s.aws/resource": f"{stack}:{port}"}


def owns(tags: dict[str, str], cluster: str, kind: str, stack: str) -> bool:
    """Whether a load balancer tagged ``tags`` is the one of this cluster's stack (a load
    balancer of another cluster or stack with the same name is never deleted)."""
    return tags.get(CLUSTER_TAG) == cluster and tags.get(f"{_prefix(kind)}.k8s.aws/stack") == stack


def choose_subnets(subnets: list[dict[str, Any]], scheme: str) -> list[str]:
    """One subnet per zone (the lowest id): those tagged for the scheme's role
    (:data:`PUBLIC_ROLE` for ``internet-facing``, else :data:`INTERNAL_ROLE`), else those of the
    other role, else any. ``subnets`` as DescribeSubnets answers them."""

    def tagged(role: str) -> list[dict[str, Any]]:
        return [
            s
            for s in subnets
            if any(
                t["Key"] == role and t.get("Value", "") in ("1", "") for t in s.get("Tags") or []
            )
        ]

    wanted, other = (
        (PUBLIC_ROLE, INTERNAL_ROLE)
        if scheme == "internet-facing"
        else (INTERNAL_ROLE, PUBLIC_ROLE)
    )
    chosen = tagged(wanted) or tagged(other) or subnets
    per_zone: dict[str, str] = {}
    for s in sorted(chosen, key=lambda s: s["SubnetId"]):
        per_zone.setdefault(s["AvailabilityZone"], s["SubnetId"])
    return list(per_zone.values())


def no_subnets_message(where: Where) -> str:
    """The controller's Warning when it finds no subnet for a load balancer."""
    return (
        "Failed deploy model due to couldn't auto-discover subnets: unable to resolve "
        f"at least one subnet (region {where.region}, cluster {where.cluster}, "
        f"vpc {where.vpc_id or 'none tagged'}); weft local simulator retries"
    )


@dataclass(frozen=True)
class Listener:
    """A listener of a Service's network load balancer, forwarding to a target group."""

    port: int
    protocol: str
    target_port: int


def missing_listeners(ports: list[dict[str, Any]], existing: set[int]) -> list[Listener]:
    """The listeners a Service's ports need that its load balancer lacks (one per port; the
    targets are the port's nodePort when it has one)."""
    missing = []
    for port in ports:
        number = int(port.get("port") or 0)
        if not number or number in existing:
            continue
        protocol = (port.get("protocol") or "TCP").upper()
        missing.append(Listener(number, protocol, int(port.get("nodePort") or number)))
    return missing


def service_scheme(svc: dict[str, Any]) -> str:
    return str((meta(svc).get("annotations") or {}).get(SCHEME_SERVICE, DEFAULT_SCHEME))


def wants_lb(svc: dict[str, Any]) -> bool:
    """Whether a Service wants a load balancer now (of type LoadBalancer, not being deleted)."""
    spec = svc.get("spec") or {}
    return spec.get("type") == "LoadBalancer" and not meta(svc).get("deletionTimestamp")


def service_is_ours(svc: dict[str, Any], lb_class: str) -> bool:
    """Whether a Service is the controller's (see the module docstring)."""
    cls = (svc.get("spec") or {}).get("loadBalancerClass")
    if cls:
        return bool(cls == lb_class)
    kind = (meta(svc).get("annotations") or {}).get(TYPE_SERVICE)
    return kind in ("external", "nlb-ip")


def is_alb(ing: dict[str, Any], classes: Mapping[str, str], ingress_class: str = "alb") -> bool:
    """Whether an Ingress is the controller's: its IngressClass (``classes``: name ->
    controller) is the controller's, or without one its class annotation is
    ``ingress_class``."""
    name = (ing.get("spec") or {}).get("ingressClassName")
    if name:
        return classes.get(name) == CONTROLLER
    annotation = (meta(ing).get("annotations") or {}).get("kubernetes.io/ingress.class")
    return bool(annotation) and annotation == ingress_class


def ingress_stack(ing: dict[str, Any]) -> str:
    """The stack an Ingress belongs to: its group, else ``<namespace>/<name>``."""
    group = (meta(ing).get("annotations") or {}).get(GROUP_INGRESS)
    return str(group or "/".join(key(ing)))


def ingress_scheme(ing: dict[str, Any]) -> str:
    return str((meta(ing).get("annotations") or {}).get(SCHEME_INGRESS, DEFAULT_SCHEME))


def stack_still_used(
    ing: dict[str, Any], ingresses: Iterable[dict[str, Any]], classes: Mapping[str, str]
) -> bool:
    """Whether another live ALB Ingress shares ``ing``'s stack (its load balancer then stays)."""
    stack = ingress_stack(ing)
    return any(
        key(o) != key(ing)
        and is_alb(o, classes)
        and not meta(o).get("deletionTimestamp")
        and ingress_stack(o) == stack
        for o in ingresses
    )


def hostname_status(obj: dict[str, Any], hostname: str | None) -> dict[str, Any] | None:
    """The status patch that sets the object's load-balancer hostname (none: no address), or
    None when it is set already."""
    lb_status = (obj.get("status") or {}).get("loadBalancer") or {}
    current = [i.get("hostname") for i in lb_status.get("ingress") or []]
    wanted = [hostname] if hostname else []
    if current == wanted:
        return None
    return {"status": {"loadBalancer": {"ingress": [{"hostname": h} for h in wanted]}}}


def sg_name(cluster: str, stack: str) -> str:
    """The name of the security group the controller makes for an Ingress stack's ALB."""
    digest = hashlib.sha256(f"{cluster}|{stack}|sg".encode()).hexdigest()[:10]
    ns, _, name = stack.partition("/")
    return f"k8s-{_clean(ns, 8)}-{_clean(name, 8)}-{digest}"


def sg_tags(tags: dict[str, str]) -> dict[str, str]:
    """The tags of that security group: its load balancer's, naming what it is."""
    return {**tags, "ingress.k8s.aws/resource": "ManagedLBSecurityGroup"}


@dataclass(frozen=True)
class Backend:
    """A route of an Ingress to a Service port: host (or any) and path prefix (or all)."""

    service: str
    port: int
    host: str | None
    path: str | None


@dataclass(frozen=True)
class IngressPlan:
    """What the controller makes of an Ingress's annotations (see the module docstring)."""

    listeners: tuple[tuple[str, int], ...]
    certificate_arns: tuple[str, ...]
    ssl_policy: str
    redirect_to: int | None
    health_path: str
    health_port: str
    target_type: str
    backends: tuple[Backend, ...]
    problem: str | None = None


def _backend(spec: dict[str, Any]) -> tuple[str, int] | None:
    svc = (spec or {}).get("service") or {}
    port = (svc.get("port") or {}).get("number")
    if svc.get("name") and port:
        return str(svc["name"]), int(port)
    if spec and spec.get("serviceName") and isinstance(spec.get("servicePort"), int):
        return str(spec["serviceName"]), int(spec["servicePort"])
    return None


def ingress_plan(ing: dict[str, Any]) -> IngressPlan:
    """The listeners, certificates, policy, redirect, health check and backends of an Ingress."""
    notes = meta(ing).get("annotations") or {}
    certs = tuple(c.strip() for c in str(notes.get(ALB + "certificate-arn", "")).split(",") if c)
    problem = None
    listeners: list[tuple[str, int]] = []
    raw = notes.get(ALB + "listen-ports")
    if raw:
        try:
            for entry in json.loads(raw):
                for proto, port in dict(entry).items():
                    listeners.append((str(proto).upper(), int(port)))
        except (ValueError, TypeError, AttributeError):
            problem = f"Failed build model due to failed to parse listen-ports {raw!r}"
    if not listeners:
        listeners = [("HTTPS", 443)] if certs else [("HTTP", 80)]
    if any(p == "HTTPS" for p, _ in listeners) and not certs and problem is None:
        problem = (
            "Failed build model due to ingress: no certificate found for HTTPS listener "
            "(no alb.ingress.kubernetes.io/certificate-arn, and no certificate discovered)"
        )
    redirect = notes.get(ALB + "ssl-redirect")
    spec = ing.get("spec") or {}
    backends: list[Backend] = []
    default = _backend(spec.get("defaultBackend") or spec.get("backend") or {})
    if default:
        backends.append(Backend(default[0], default[1], None, None))
    for rule in spec.get("rules") or []:
        for path in ((rule.get("http") or {}).get("paths")) or []:
            found = _backend(path.get("backend") or {})
            if found:
                backends.append(Backend(found[0], found[1], rule.get("host"), path.get("path")))
    return IngressPlan(
        listeners=tuple(dict.fromkeys(listeners)),
        certificate_arns=certs,
        ssl_policy=str(notes.get(ALB + "ssl-policy") or DEFAULT_SSL_POLICY),
        redirect_to=int(str(redirect)) if str(redirect or "").isdigit() else None,
        health_path=str(notes.get(ALB + "healthcheck-path") or "/"),
        health_port=str(notes.get(ALB + "healthcheck-port") or "traffic-port"),
        target_type=str(notes.get(ALB + "target-type") or "instance"),
        backends=tuple(dict.fromkeys(backends)),
        problem=problem,
    )
