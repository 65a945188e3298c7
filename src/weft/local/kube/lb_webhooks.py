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

The handlers (their rules in :mod:`weft.local.kube.lb_webhook_rules`) are weft's own rendering
of the controller's (v3.5.0, ``webhooks/`` in
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
import json
import logging
import ssl
import tempfile
import threading
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
from weft.local.kube.lb_webhook_rules import (
    Denied,
    IngressSettings,
    readiness_gates,
    validate_ingress,
    validate_ingress_class_params,
)
from weft.local.kube.watch import watch_forever

log = logging.getLogger("weft.local.kube.lb_webhooks")

#: controller-runtime's default certificate directory (the chart mounts the TLS Secret there).
CERT_DIR = "/tmp/k8s-webhook-server/serving-certs"
DEFAULT_PORT = 9443
#: Seconds between looks at the controller, its Service and its Secret.
POLL = 1.0

TargetGroupBinding = create_namespaced_resource(
    "elbv2.k8s.aws", "v1beta1", "TargetGroupBinding", "targetgroupbindings"
)


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
