"""The AWS Load Balancer Controller's admission webhooks, served to the local API server over TLS
the way the API server reaches them on EKS.

**How the API server finds a webhook** (kube-apiserver 1.36 source,
``cmd/kube-apiserver/app/server.go`` ``buildServiceResolver`` and
``staging/src/k8s.io/apiserver/pkg/util/proxy/proxy.go``): a webhook's ``clientConfig.service``
is resolved by the *ClusterIP resolver* (``ResolveCluster``: ``https://<spec.clusterIP>:<service
port>``) unless ``--enable-aggregator-routing`` is set, when the *endpoint resolver*
(``ResolveEndpoint``) picks a ready address of the Service's EndpointSlices and the slice's
(target) port. The TLS server name is ``<service>.<namespace>.svc`` either way, so the serving
certificate must name it and chain to the configuration's ``caBundle``.

**Which one, measured.** Only loopback addresses are used (Linux routes all of ``127/8`` to
``lo``, so a server binds ``127.x.y.z`` without an alias or privileges on the address):

* EndpointSlices cannot hold loopback addresses: the API server refuses them
  (``ValidateEndpointIP``, ``pkg/apis/core/validation``: "may not be in the loopback range
  (127.0.0.0/8, ::1/128)"), and the local pods' addresses are their VPC interface's anyway. The
  endpoint resolver is out.
* The service range may be loopback: neither ``--service-cluster-ip-range`` nor the ServiceCIDR
  API (``ValidateServiceCIDR``) refuses ``127.0.0.0/8``. With
  ``--service-cluster-ip-range=127.100.0.0/16`` (:data:`weft.local.kube.certs.SERVICE_CIDR`; the
  ``/16`` and the offsets of EKS's default ``10.100.0.0/16``, so ClusterIPs keep EKS's shape,
  e.g. ``kubernetes`` at ``127.100.0.1``), a Service got ``127.100.144.107``, a server bound on
  ``127.100.144.107:443`` answered the API server's ``POST https://hook.default.svc:443/...``,
  a wrong ``caBundle`` failed the request with "tls: failed to verify certificate: x509:
  certificate signed by unknown authority", and with the server closed, "dial tcp
  127.100.144.107:443: connect: connection refused" (kube-apiserver v1.36.2).

So the local API server runs with the ClusterIP resolver over a loopback service range and this
server plays kube-proxy's part for the controller's webhook Service: it listens on that Service's
ClusterIP and port. weft's Service port is 9443 (:data:`weft.kube.lb_controller.WEBHOOK_PORT`;
the chart's 443 would need root or ``CAP_NET_BIND_SERVICE`` here); a Service on a port below 1024
cannot be served by an unprivileged user: the server logs why and the webhooks fail as on a
cluster whose webhook pods cannot start. Where EKS (which routes
to endpoints) says ``no endpoints available for service "aws-load-balancer-webhook-service"``
when no controller pod is ready, the local API server says ``connect: connection refused``.

**What is served, and when** (:func:`find_target`): only while a pod of a controller Deployment told
its cluster and VPC is Ready (what kube-proxy routes a ClusterIP to; the Deployment is available
from then on, and serving starts on the pod's watch event, before the Deployment's status says so,
as the real pod's readiness waits on its webhook server), for the Services of its namespace that
select its pods with a port targeting its webhook port (``--webhook-bind-port``, 9443), with the
certificate and key of the Secret mounted at its webhook certificate directory (what
controller-runtime serves), reloaded when the Secret changes (weft renews it: the next handshake
uses the new pair). The controller scaled to 0, or its Deployment gone, closes the listener, so a
``failurePolicy: Fail`` webhook fails the API call as on a cluster.

The handlers are weft's own rendering of the controller's (v3.5.0, ``webhooks/`` in
kubernetes-sigs/aws-load-balancer-controller):

* ``/validate-networking-v1-ingress`` (:func:`validate_ingress`): Ingresses of other controllers'
  classes pass; an unknown IngressClass, several default classes, a malformed or invalid
  ``alb.ingress.kubernetes.io/conditions.<service>`` annotation, and (when the controller runs
  with ``--disable-ingress-class-annotation`` / ``--disable-ingress-group-name-annotation``) new
  uses of those annotations are refused with the controller's messages.
* ``/mutate-v1-pod`` (:func:`readiness_gates`): a pod selected by the Service of an ``ip``
  TargetGroupBinding of its namespace gets the ``target-health.elbv2.k8s.aws/<binding>``
  readiness gate.
* ``/validate-elbv2-k8s-aws-v1beta1-ingressclassparams`` (:func:`validate_ingress_class_params`):
  inbound CIDRs and subnet selectors.
* The TargetGroupBinding webhooks (``/mutate-`` and ``/validate-elbv2-k8s-aws-v1beta1-
  targetgroupbinding``) look the target group up in ELBv2 with the controller's credentials;
  weft renders no TargetGroupBinding and this server does not make those calls, so it refuses
  them (a denial naming that), never lets one through unchecked.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import logging
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lightkube import ALL_NS, ApiError, Client
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Pod, Secret, Service
from lightkube.resources.networking_v1 import IngressClass

from weft.local.kube import lb_install
from weft.local.kube.watch import watch_forever

log = logging.getLogger("weft.local.kube.lb_webhooks")

#: controller-runtime's default certificate directory (the chart mounts the TLS Secret there).
CERT_DIR = "/tmp/k8s-webhook-server/serving-certs"
DEFAULT_PORT = 9443
#: Seconds between looks at the controller, its Service and its Secret.
POLL = 1.0
ALB_CONTROLLER = "ingress.k8s.aws/alb"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
INGRESS_PREFIX = "alb.ingress.kubernetes.io"
TARGET_HEALTH_PREFIX = "target-health.elbv2.k8s.aws"
LEGACY_TARGET_HEALTH_PREFIX = "target-health.alb.ingress.k8s.aws"

TargetGroupBinding = create_namespaced_resource(
    "elbv2.k8s.aws", "v1beta1", "TargetGroupBinding", "targetgroupbindings"
)


class Denied(Exception):
    """The webhook refuses the object: the message is the controller's."""


# ------------------------------------------------------------------------------ what to serve
@dataclass(frozen=True)
class Target:
    """Where and with what the controller's webhook server answers."""

    namespace: str
    #: (ClusterIP, port) of each Service that routes to the webhook port.
    listeners: frozenset[tuple[str, int]]
    cert: str
    key: str
    ingress_class: str
    disable_class_annotation: bool
    disable_group_annotation: bool


def _flags(dep: dict[str, Any]) -> dict[str, str]:
    """The container's ``--flag[=value]`` arguments (a bare flag is ``"true"``)."""
    pod = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    out: dict[str, str] = {}
    for container in pod.get("containers") or []:
        for arg in [*(container.get("command") or []), *(container.get("args") or [])]:
            if arg.startswith("--"):
                k, eq, v = arg[2:].partition("=")
                out[k] = v if eq else "true"
    return out


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "t")


def _cert_secret(dep: dict[str, Any], cert_dir: str) -> str | None:
    """The Secret mounted at the controller container's webhook certificate directory."""
    pod = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    for container in pod.get("containers") or []:
        for mount in container.get("volumeMounts") or []:
            if str(mount.get("mountPath", "")).rstrip("/") == cert_dir.rstrip("/"):
                secret = (volumes.get(mount.get("name")) or {}).get("secret") or {}
                return secret.get("secretName")
    return None


def _port_names(dep: dict[str, Any], port: int) -> set[str]:
    pod = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    return {
        str(p["name"])
        for c in pod.get("containers") or []
        for p in c.get("ports") or []
        if p.get("name") and p.get("containerPort") == port
    }


def service_listeners(
    services: list[dict[str, Any]], pod_labels: dict[str, str], port: int, names: set[str]
) -> frozenset[tuple[str, int]]:
    """(ClusterIP, port) of the Services selecting pods labelled ``pod_labels`` with a port whose
    target is the webhook ``port`` (by number or by one of the container port ``names``)."""
    out: set[tuple[str, int]] = set()
    for svc in services:
        spec = svc.get("spec") or {}
        selector = spec.get("selector") or {}
        ip = spec.get("clusterIP")
        if not selector or not ip or ip == "None":
            continue
        if any(pod_labels.get(k) != v for k, v in selector.items()):
            continue
        for p in spec.get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            if target == port or str(target) == str(port) or target in names:
                out.add((str(ip), int(p["port"])))
    return frozenset(out)


def _ready(pod: dict[str, Any]) -> bool:
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def find_target(client: Client) -> Target | None:
    """What the installed controller serves, or None when none runs: no Deployment told its
    cluster and VPC (the real controller exits without them), none of its pods Ready, or its
    certificate Secret missing (its pods could not start)."""
    try:
        deps = client.list(
            Deployment,
            namespace=ALL_NS,
            labels={lb_install.NAME_LABEL: lb_install.CONTROLLER_NAME},
        )
        found = sorted(
            (dict(d.to_dict()) for d in deps),
            key=lambda d: (d["metadata"]["namespace"], d["metadata"]["name"]),
        )
    except ApiError:
        return None
    for dep in found:
        flags = _flags(dep)
        if not flags.get("cluster-name") or not flags.get("aws-vpc-id"):
            continue
        namespace = str(dep["metadata"].get("namespace") or "default")
        port = int(flags.get("webhook-bind-port") or DEFAULT_PORT)
        secret_name = _cert_secret(dep, flags.get("webhook-cert-dir") or CERT_DIR)
        selector = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not secret_name or not selector:
            continue
        try:
            pods = [
                dict(p.to_dict()) for p in client.list(Pod, namespace=namespace, labels=selector)
            ]
            if not any(_ready(p) for p in pods):
                continue
            secret = client.get(Secret, secret_name, namespace=namespace).to_dict()
            services = [dict(s.to_dict()) for s in client.list(Service, namespace=namespace)]
        except ApiError:
            continue
        data = secret.get("data") or {}
        if not data.get("tls.crt") or not data.get("tls.key"):
            continue
        labels = (((dep.get("spec") or {}).get("template") or {}).get("metadata") or {}).get(
            "labels"
        ) or {}
        return Target(
            namespace=namespace,
            listeners=service_listeners(services, labels, port, _port_names(dep, port)),
            cert=base64.b64decode(data["tls.crt"]).decode(),
            key=base64.b64decode(data["tls.key"]).decode(),
            ingress_class=flags.get("ingress-class") or lb_install.DEFAULT_INGRESS_CLASS,
            disable_class_annotation=_true(flags.get("disable-ingress-class-annotation")),
            disable_group_annotation=_true(flags.get("disable-ingress-group-name-annotation")),
        )
    return None


# ------------------------------------------------------------------------- Ingress validation
def _conditions_error(raw: str, key: str) -> str | None:
    """The controller's JSON parse error for a conditions annotation, or None."""
    try:
        value = json.loads(raw)
    except ValueError as e:
        return f"failed to parse json annotation, {key}: {raw}: {e}"
    if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
        return f"failed to parse json annotation, {key}: {raw}: expected a list of conditions"
    for cond in value:
        for name, config in cond.items():
            if name.endswith("Config") and config is not None and not isinstance(config, dict):
                return f"failed to parse json annotation, {key}: {raw}: {name} is not an object"
    return None


def _values_error(config: dict[str, Any], regex: bool) -> str | None:
    values, regexes = config.get("values") or [], config.get("regexValues") or []
    if not isinstance(values, list) or not isinstance(regexes, list):
        return "values must be a list"
    if not regex:
        return "values cannot be empty" if not values else None
    if not values and not regexes:
        return "values or regexValues must be specified"
    if values and regexes:
        return "precisely one of values and regexValues can be specified"
    return None


#: field → (its config's key, whether regexValues may stand for values)
_CONDITIONS = {
    "host-header": ("hostHeaderConfig", True),
    "path-pattern": ("pathPatternConfig", True),
    "http-header": ("httpHeaderConfig", True),
    "http-request-method": ("httpRequestMethodConfig", False),
    "query-string": ("queryStringConfig", False),
    "source-ip": ("sourceIPConfig", False),
}


def condition_error(cond: dict[str, Any]) -> str | None:
    """The controller's ``RuleCondition.Validate`` message for one condition, or None."""
    spec = _CONDITIONS.get(str(cond.get("field")))
    if spec is None:
        return None  # the controller checks only the fields it knows
    name, regex = spec
    config = cond.get(name)
    if config is None:
        return f"missing {name}"
    if name == "queryStringConfig":
        pairs = config.get("values") or []
        if not pairs:
            return f"invalid {name}: Values cannot be empty"
        for pair in pairs:
            if not isinstance(pair, dict) or not pair.get("value"):
                return f"invalid {name}: value cannot be empty"
        return None
    err = _values_error(config, regex)
    return f"invalid {name}: {err}" if err else None


@dataclass(frozen=True)
class IngressSettings:
    """What the controller's Ingress validator is told by its flags."""

    ingress_class: str = lb_install.DEFAULT_INGRESS_CLASS
    disable_class_annotation: bool = False
    disable_group_annotation: bool = False


def validate_ingress(
    ing: dict[str, Any],
    old: dict[str, Any] | None,
    ingress_classes: Callable[[], list[dict[str, Any]]],
    settings: IngressSettings,
) -> None:
    """Raise :class:`Denied` with the controller's message when it refuses the Ingress
    (``webhooks/networking/ingress_validator.go``); ``ingress_classes`` lists the cluster's."""
    meta, spec = ing.get("metadata") or {}, ing.get("spec") or {}
    annotations = meta.get("annotations") or {}
    old_annotations = ((old or {}).get("metadata") or {}).get("annotations") or {}

    def load(name: str | None) -> dict[str, Any] | None:
        classes = ingress_classes()
        if name is None:
            defaults = [
                c
                for c in classes
                if ((c.get("metadata") or {}).get("annotations") or {}).get(
                    DEFAULT_CLASS_ANNOTATION
                )
                == "true"
            ]
            if len(defaults) > 1:
                raise Denied("multiple default IngressClasses found")
            if not defaults:
                return None
            return defaults[0]
        for c in classes:
            if (c.get("metadata") or {}).get("name") == name:
                return c
        raise Denied(f'invalid ingress class: ingressclasses.networking.k8s.io "{name}" not found')

    # checkIngressClass: only the controller's own Ingresses are checked
    if CLASS_ANNOTATION in annotations:
        if annotations[CLASS_ANNOTATION] != settings.ingress_class:
            return
    else:
        cls = load(spec.get("ingressClassName"))
        if cls is None:
            if settings.ingress_class:
                return
        elif (cls.get("spec") or {}).get("controller") != ALB_CONTROLLER:
            return
    if settings.disable_class_annotation:
        used_new = annotations.get(CLASS_ANNOTATION) == settings.ingress_class
        used_old = old_annotations.get(CLASS_ANNOTATION) == settings.ingress_class
        if used_new and not used_old:
            raise Denied(f"new usage of `{CLASS_ANNOTATION}` annotation is forbidden")
    if settings.disable_group_annotation:
        group_key = f"{INGRESS_PREFIX}/group.name"
        if group_key in annotations and (
            group_key not in old_annotations or annotations[group_key] != old_annotations[group_key]
        ):
            raise Denied(f"new usage of `{group_key}` annotation is forbidden")
    new_class = spec.get("ingressClassName")
    old_class = ((old or {}).get("spec") or {}).get("ingressClassName")
    if new_class is not None and (old_class is None or old_class != new_class):
        load(new_class)
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            service = ((path.get("backend") or {}).get("service") or {}).get("name")
            if not service:
                continue
            key = f"{INGRESS_PREFIX}/conditions.{service}"
            if key not in annotations:
                continue
            err = _conditions_error(annotations[key], key)
            if err:
                raise Denied(err)
            for cond in json.loads(annotations[key]):
                err = condition_error(cond)
                if err:
                    raise Denied(
                        f"ignoring Ingress {meta.get('namespace')}/{meta.get('name')} since "
                        f"invalid {key} annotation: {err}"
                    )


# ---------------------------------------------------------------- IngressClassParams validation
def _cidr_error(cidr: str) -> str | None:
    """Go's ``net.ParseCIDR`` checks as the controller words them."""
    try:
        if "/" not in cidr:
            raise ValueError(cidr)
        net = ipaddress.ip_network(cidr, strict=False)
        address = ipaddress.ip_address(cidr.split("/", 1)[0])
    except ValueError:
        detail = "Could not be parsed as a CIDR"
        if "/" not in cidr:
            with contextlib.suppress(ValueError):
                ip = ipaddress.ip_address(cidr)
                detail += f' (did you mean "{cidr}/{32 if ip.version == 4 else 64}")'
        return detail
    if address != net.network_address:
        return (
            "Network contains bits outside prefix "
            f'(did you mean "{net.network_address}/{net.prefixlen}")'
        )
    return None


def validate_ingress_class_params(params: dict[str, Any]) -> None:
    """Raise :class:`Denied` with the controller's field errors
    (``webhooks/elbv2/ingressclassparams_validator.go``)."""
    spec = params.get("spec") or {}
    errors: list[str] = []
    for i, cidr in enumerate(spec.get("inboundCIDRs") or []):
        err = _cidr_error(str(cidr))
        if err:
            errors.append(f'spec.inboundCIDRs[{i}]: Invalid value: "{cidr}": {err}')
    subnets = spec.get("subnets")
    if subnets is not None:
        ids, tags = subnets.get("ids"), subnets.get("tags")
        if ids is None and tags is None:
            errors.append("spec.subnets: Required value: must have either `ids` or `tags`")
        elif ids is not None and tags is not None:
            errors.append("spec.subnets.tags: Forbidden: may not have both `ids` and `tags` set")
        elif ids is not None:
            seen: set[str] = set()
            for i, sid in enumerate(ids):
                if sid in seen:
                    errors.append(f'spec.subnets.ids[{i}]: Duplicate value: "{sid}"')
                seen.add(sid)
        else:
            if not tags:
                errors.append("spec.subnets.tags: Required value: must have at least one tag key")
            for tag, values in sorted(tags.items()):
                seen_values: set[str] = set()
                for i, value in enumerate(values or []):
                    if value in seen_values:
                        errors.append(f'spec.subnets.tags[{tag}][{i}]: Duplicate value: "{value}"')
                    seen_values.add(value)
    if len(errors) == 1:
        raise Denied(errors[0])
    if errors:
        raise Denied("[" + ", ".join(errors) + "]")


# ----------------------------------------------------------------------- pod readiness gates
def readiness_gates(
    pod: dict[str, Any], bindings: list[dict[str, Any]], services: dict[str, dict[str, Any]]
) -> list[dict[str, Any]] | None:
    """The pod's readiness gates after the controller's injector
    (``pkg/inject/pod_readiness/pod_readiness_gate.go``), or None when it changes nothing:
    one ``target-health.elbv2.k8s.aws/<binding>`` gate for each ``ip`` TargetGroupBinding whose
    Service (``services`` by name) selects the pod; legacy gates dropped when any applies."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    wanted: list[str] = []
    for tgb in bindings:
        spec = tgb.get("spec") or {}
        if spec.get("targetType") != "ip":
            continue
        svc = services.get(str((spec.get("serviceRef") or {}).get("name")))
        if svc is None:
            continue
        selector = (svc.get("spec") or {}).get("selector") or {}
        if selector and all(labels.get(k) == v for k, v in selector.items()):
            wanted.append(f"{TARGET_HEALTH_PREFIX}/{tgb['metadata']['name']}")
    if not wanted:
        return None
    gates = [
        g
        for g in (pod.get("spec") or {}).get("readinessGates") or []
        if not str(g.get("conditionType", "")).startswith(LEGACY_TARGET_HEALTH_PREFIX)
    ]
    have = {g.get("conditionType") for g in gates}
    gates += [{"conditionType": c} for c in wanted if c not in have]
    return gates


# ----------------------------------------------------------------------------- the handlers
def review_response(
    uid: str, message: str | None = None, patch: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An AdmissionReview v1 response: allowed unless ``message`` (403, as controller-runtime's
    ``admission.Denied``), with a JSON patch when given."""
    response: dict[str, Any] = {"uid": uid, "allowed": message is None}
    if message is not None:
        response["status"] = {"code": 403, "reason": "Forbidden", "message": message}
    if patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}


class Handlers:
    """The controller's webhook paths, answering AdmissionReview requests."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.settings = IngressSettings()

    def handle(self, path: str, review: dict[str, Any]) -> dict[str, Any]:
        request = review.get("request") or {}
        uid = str(request.get("uid", ""))
        obj = request.get("object") or {}
        old = request.get("oldObject")
        route = path.split("?", 1)[0]
        try:
            if route == "/validate-networking-v1-ingress":
                if request.get("operation") in ("CREATE", "UPDATE"):
                    validate_ingress(obj, old, self._ingress_classes, self.settings)
                return review_response(uid)
            if route == "/validate-elbv2-k8s-aws-v1beta1-ingressclassparams":
                if request.get("operation") in ("CREATE", "UPDATE"):
                    validate_ingress_class_params(obj)
                return review_response(uid)
            if route == "/mutate-v1-pod":
                return self._pod(uid, str(request.get("namespace") or ""), obj)
            if route.endswith("-elbv2-k8s-aws-v1beta1-targetgroupbinding"):
                raise Denied(
                    "the local cloud does not check TargetGroupBindings (the controller looks "
                    "their target group up in ELBv2); weft makes none"
                )
        except Denied as e:
            return review_response(uid, str(e))
        return review_response(uid, f"no webhook is registered at {route}")

    def _ingress_classes(self) -> list[dict[str, Any]]:
        return [dict(c.to_dict()) for c in self.client.list(IngressClass)]

    def _pod(self, uid: str, namespace: str, pod: dict[str, Any]) -> dict[str, Any]:
        try:
            bindings = [
                dict(b.to_dict()) for b in self.client.list(TargetGroupBinding, namespace=namespace)
            ]
            services = {
                s.metadata.name: dict(s.to_dict())
                for s in self.client.list(Service, namespace=namespace)
                if s.metadata is not None and s.metadata.name
            }
        except ApiError as e:
            # the mutator fails (its webhook's failurePolicy, Ignore, lets the pod through)
            return {
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "response": {
                    "uid": uid,
                    "allowed": False,
                    "status": {
                        "code": 500,
                        "message": f"unable to determine targetHealth readinessGates: {e}",
                    },
                },
            }
        gates = readiness_gates(pod, bindings, services)
        if gates is None:
            return review_response(uid)
        return review_response(
            uid, patch=[{"op": "add", "path": "/spec/readinessGates", "value": gates}]
        )


# ------------------------------------------------------------------------------ the server
class _TLSServer(ThreadingHTTPServer):
    """An HTTPS server whose certificate can be swapped: each connection's handshake uses the
    context current when it was accepted."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handlers: Handlers, context: ssl.SSLContext):
        self.handlers = handlers
        self.context = context
        super().__init__(address, _Request)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(15)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log.info("webhook TLS handshake from %s failed: %s", client_address, e)
            return
        super().finish_request(tls, client_address)


class _Request(BaseHTTPRequestHandler):
    server: _TLSServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            review = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self.send_error(400, "not an AdmissionReview")
            return
        request = review.get("request") or {}
        try:
            answer = self.server.handlers.handle(self.path, review)
        except Exception as e:  # an unexpected failure answers 500, as a crashed handler would
            log.exception("webhook %s failed", self.path)
            self.send_error(500, str(e))
            return
        response = answer["response"]
        log.info(
            "webhook %s %s %s %s/%s: %s",
            self.path.split("?", 1)[0],
            request.get("operation"),
            (request.get("kind") or {}).get("kind"),
            request.get("namespace") or "",
            request.get("name") or (request.get("object") or {}).get("metadata", {}).get("name"),
            "allowed" if response["allowed"] else f"denied: {response['status']['message']}",
        )
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server context for a PEM certificate and key (loaded through a private temporary
    directory: ``ssl`` loads only from files)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="weft-webhook-") as tmp:
        cert_file, key_file = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
        cert_file.write_text(cert)
        key_file.touch(mode=0o600)
        key_file.write_text(key)
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


class WebhookServer:
    """Serves the controller's webhooks while it is installed and available (see the module
    docstring); looks at the cluster every :data:`POLL` seconds until ``stop`` is set."""

    def __init__(self, client: Client, stop: threading.Event, poll: float = POLL) -> None:
        self.client = client
        self.stop = stop
        self.poll = poll
        self.handlers = Handlers(client)
        self.servers: dict[tuple[str, int], _TLSServer] = {}
        self.pair: tuple[str, str] | None = None
        self.context: ssl.SSLContext | None = None
        self._refused: set[tuple[str, int]] = set()
        self.wake = threading.Event()

    def start(self, watch_client: Client | None = None) -> threading.Thread:
        """Start looking (and, with ``watch_client``, watching the controller's Deployments and
        pods, so that serving starts as its first pod turns Ready)."""
        if watch_client is not None:
            for resource in (Deployment, Pod):
                threading.Thread(
                    target=watch_forever,
                    args=(watch_client, resource, self._event, self.stop),
                    kwargs={"name": f"webhooks-{resource.__name__}"},
                    name=f"lb-webhooks-watch-{resource.__name__}",
                    daemon=True,
                ).start()
        thread = threading.Thread(target=self._run, name="lb-webhooks", daemon=True)
        thread.start()
        return thread

    def _event(self, _event_type: str, obj: dict[str, Any]) -> None:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if labels.get(lb_install.NAME_LABEL) == lb_install.CONTROLLER_NAME:
            self.wake.set()

    def _run(self) -> None:
        while not self.stop.is_set():
            self.wake.clear()
            try:
                self.sync(find_target(self.client))
            except Exception:  # keep serving: one bad look must not end the webhooks
                log.exception("webhook server: looking at the controller failed")
            self.wake.wait(self.poll)
        self.sync(None)

    def sync(self, target: Target | None) -> None:
        """Listen where ``target`` says with its certificate; close everything without one."""
        wanted = target.listeners if target is not None else frozenset()
        for address in [a for a in self.servers if a not in wanted]:
            server = self.servers.pop(address)
            server.shutdown()
            server.server_close()
            log.info("webhook server: stopped listening on %s:%d", *address)
        if target is None:
            self.pair, self.context = None, None
            self._refused.clear()
            return
        self.handlers.settings = IngressSettings(
            target.ingress_class, target.disable_class_annotation, target.disable_group_annotation
        )
        if self.pair != (target.cert, target.key):
            try:
                self.context = tls_context(target.cert, target.key)
            except (ssl.SSLError, OSError, ValueError) as e:
                log.warning("webhook server: the certificate Secret does not load: %s", e)
                return
            if self.pair is not None:
                log.info("webhook server: serving the renewed certificate")
            self.pair = (target.cert, target.key)
            for server in self.servers.values():
                server.context = self.context
        assert self.context is not None
        for address in sorted(wanted - set(self.servers)):
            try:
                server = _TLSServer(address, self.handlers, self.context)
            except OSError as e:
                if address not in self._refused:
                    self._refused.add(address)
                    log.error(
                        "webhook server: cannot listen on %s:%d (%s); the API server's calls "
                        "to the controller's webhooks fail%s",
                        *address,
                        e,
                        " (a port below 1024 needs root or CAP_NET_BIND_SERVICE)"
                        if isinstance(e, PermissionError)
                        else "",
                    )
                continue
            self._refused.discard(address)
            self.servers[address] = server
            threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.2},
                name=f"lb-webhooks-{address[0]}",
                daemon=True,
            ).start()
            log.info("webhook server: listening on %s:%d", *address)
