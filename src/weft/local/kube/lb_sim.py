"""The AWS Load Balancer Controller simulator: real ELBv2 load balancers in the local AWS (moto).

For every Service of ``type: LoadBalancer`` it creates a Network Load Balancer, and for every
Ingress of class ``alb`` (or with no class) an Application Load Balancer, in the local AWS, named
and tagged as the AWS Load Balancer Controller does::

    elbv2.k8s.aws/cluster: <cluster>
    service.k8s.aws/stack: <ns>/<name>        (Ingress: ingress.k8s.aws/stack: <ns>/<name>
    service.k8s.aws/resource: LoadBalancer     or the alb.ingress.kubernetes.io/group.name)
    kubernetes.io/cluster/<cluster>: owned

plus one target group and listener per Service port (NLB) or an HTTP:80 listener answering 404
(ALB). Its DNS name goes into ``status.loadBalancer.ingress[0].hostname``.

**Finalizers, as on EKS.** Before creating anything it adds the finalizer
``service.k8s.aws/resources`` (``ingress.k8s.aws/resources``) to the object, and removes it only
after the load balancer and its target groups are deleted. So a Service is not gone before its
load balancer. If this simulator is not running, deleting such a Service (or its namespace)
**hangs in Terminating**, exactly as on EKS when the controller was uninstalled first; and a
Service left in place when the cluster goes leaves its load balancer orphaned, exactly as on AWS.

**Where** (:mod:`weft.local.kube.lb_cloud`): the EKS cluster of the object's fabric, else the
one mapped onto this API server, else the first in the local AWS. Subnets: that cluster's VPC's,
tagged ``kubernetes.io/role/elb=1`` for ``internet-facing`` or
``kubernetes.io/role/internal-elb=1`` for ``internal`` (the scheme annotation; the real default
is ``internal``), else the other role, else any of its subnets; one per zone. When no subnet is
found at all, no load balancer is created, a Warning Event ``FailedDeployModel`` says so, and it
retries every 15 s.

The decisions are pure (:mod:`weft.local.kube.load_balancer`); this module is the Kubernetes
side: watches, finalizers, addresses, Events and the periodic resync.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightkube import ALL_NS, ApiError, Client
from lightkube.resources.core_v1 import Service
from lightkube.resources.networking_v1 import Ingress
from lightkube.types import PatchType

from weft.local.kube import lb_cloud
from weft.local.kube import load_balancer as lb_rules
from weft.local.kube.event import emit_event
from weft.local.kube.load_balancer import INGRESS_FINALIZER, SERVICE_FINALIZER, Where
from weft.local.kube.meta import key, meta
from weft.local.kube.watch import watch_forever

log = logging.getLogger("weft.local.kube.lb")

RESYNC_EVERY = 15.0
COMPONENT = "aws-load-balancer-controller"


class LoadBalancerController:
    def __init__(
        self,
        client: Client,
        state_dir: Path,
        aws_endpoint: str,
        stop: threading.Event,
        watch_clients: tuple[Client, Client] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.watch_clients = watch_clients or (client, client)
        self.state_dir = state_dir
        self.endpoint = aws_endpoint
        self.stop = stop
        self.lock = threading.RLock()
        #: One reconcile at a time: watch events and the periodic resync must not race.
        self.reconcile_lock = threading.Lock()
        self.services: dict[tuple[str, str], dict[str, Any]] = {}
        self.ingresses: dict[tuple[str, str], dict[str, Any]] = {}
        self.locator = lb_cloud.Locator(state_dir, aws_endpoint, clock)
        self._warned: dict[str, str] = {}

    def _aws(self, service: str, region: str) -> Any:
        return lb_cloud.aws_client(self.endpoint, service, region)

    def where(self, obj: dict[str, Any] | None = None) -> Where:
        """Cluster, region and VPC for ``obj``: the EKS cluster of the fabric named by its
        ``weft.dev/fabric`` label when there is one (several fabrics share the local API
        server), else the configured or first cluster. Cached 10 s."""
        return self.locator.where(lb_rules.fabric_of(obj))

    # ----------------------------------------------------------------------------- AWS side
    def _ensure_lb(
        self,
        where: Where,
        obj: dict[str, Any],
        *,
        kind: str,
        stack: str,
        scheme: str,
        ports: list[dict[str, Any]],
    ) -> str | None:
        """Create (or find) the load balancer of ``stack``; its DNS name, or None (no subnets)."""
        elbv2 = self._aws("elbv2", where.region)
        name = lb_rules.lb_name(where.cluster, stack, scheme)
        tags = lb_rules.lb_tags(where.cluster, kind, stack)
        lb = lb_cloud.find_lb(elbv2, name)
        if lb is None:
            subnets = lb_cloud.subnets(self._aws("ec2", where.region), where, scheme)
            if not subnets:
                self._warn(obj, "FailedDeployModel", lb_rules.no_subnets_message(where))
                return None
            lb = lb_cloud.create_lb(
                elbv2, name=name, subnets=subnets, scheme=scheme, kind=kind, tags=tags
            )
            log.info(
                "%s %s: created %s load balancer %s (%s) in %s",
                kind,
                stack,
                lb["Type"],
                name,
                lb["DNSName"],
                where.region,
            )
            emit_event(
                self.client,
                obj,
                "SuccessfullyReconciled",
                "Successfully reconciled",
                component=COMPONENT,
            )
        lb_cloud.ensure_listeners(elbv2, where, lb, kind=kind, stack=stack, ports=ports, tags=tags)
        return str(lb["DNSName"])

    def _delete_lb(self, where: Where, stack: str, scheme: str, kind: str) -> None:
        lb_cloud.delete_lb(self._aws("elbv2", where.region), where, stack, scheme, kind)

    def _warn(self, obj: dict[str, Any], reason: str, message: str) -> None:
        uid = meta(obj).get("uid", "")
        if self._warned.get(uid) == message:
            return
        self._warned[uid] = message
        log.warning("%s %s/%s: %s", obj.get("kind"), *key(obj), message)
        emit_event(self.client, obj, reason, message, type_="Warning", component=COMPONENT)

    # ------------------------------------------------------------------------ Kubernetes side
    def _set_finalizers(self, res: Any, obj: dict[str, Any], finalizers: list[str]) -> None:
        ns, name = key(obj)
        patch = {
            "metadata": {
                "finalizers": finalizers,
                "resourceVersion": meta(obj).get("resourceVersion"),
            }
        }
        self.client.patch(res, name, patch, namespace=ns, patch_type=PatchType.MERGE)

    def _add_finalizer(self, res: Any, obj: dict[str, Any], finalizer: str) -> dict[str, Any]:
        current = list(meta(obj).get("finalizers") or [])
        if finalizer in current:
            return obj
        ns, name = key(obj)
        patched = self.client.patch(
            res,
            name,
            {
                "metadata": {
                    "finalizers": [*current, finalizer],
                    "resourceVersion": meta(obj).get("resourceVersion"),
                }
            },
            namespace=ns,
            patch_type=PatchType.MERGE,
        )
        return dict(patched.to_dict())

    def _remove_finalizer(self, res: Any, obj: dict[str, Any], finalizer: str) -> None:
        current = list(meta(obj).get("finalizers") or [])
        if finalizer not in current:
            return
        self._set_finalizers(res, obj, [f for f in current if f != finalizer])

    def _set_hostname(self, status_res: Any, obj: dict[str, Any], hostname: str | None) -> None:
        body = lb_rules.hostname_status(obj, hostname)
        if body is None:
            return
        ns, name = key(obj)
        self.client.patch(status_res, name, body, namespace=ns, patch_type=PatchType.MERGE)

    def _guarded(self, reconcile: Any, obj: dict[str, Any]) -> None:
        with self.reconcile_lock:
            try:
                reconcile(obj)
            except ApiError as exc:
                if exc.status.code not in (404, 409):  # stale object: the next event retries
                    raise
                log.debug("%s %s/%s: %s (will retry)", obj.get("kind"), *key(obj), exc)

    # ------------------------------------------------------------------------------ Services
    def on_service(self, event_type: str, svc: dict[str, Any]) -> None:
        k = key(svc)
        with self.lock:
            if event_type == "DELETED":
                self.services.pop(k, None)
                return
            self.services[k] = svc
        self._guarded(self.reconcile_service, svc)

    def reconcile_service(self, svc: dict[str, Any]) -> None:
        m = meta(svc)
        ns, name = key(svc)
        stack = f"{ns}/{name}"
        scheme = lb_rules.service_scheme(svc)
        ports = (svc.get("spec") or {}).get("ports") or []
        ours = SERVICE_FINALIZER in (m.get("finalizers") or [])
        if not lb_rules.wants_lb(svc):
            if ours:
                where = self.where(svc)
                self._delete_lb(where, stack, scheme, "Service")
                if not m.get("deletionTimestamp"):
                    self._set_hostname(Service.Status, svc, None)
                self._remove_finalizer(Service, svc, SERVICE_FINALIZER)
                log.info("Service %s: finalizer %s removed", stack, SERVICE_FINALIZER)
            return
        svc = self._add_finalizer(Service, svc, SERVICE_FINALIZER)
        where = self.where(svc)
        hostname = self._ensure_lb(
            where, svc, kind="Service", stack=stack, scheme=scheme, ports=ports
        )
        if hostname:
            self._set_hostname(Service.Status, svc, hostname)

    # ----------------------------------------------------------------------------- Ingresses
    def on_ingress(self, event_type: str, ing: dict[str, Any]) -> None:
        k = key(ing)
        with self.lock:
            if event_type == "DELETED":
                self.ingresses.pop(k, None)
                return
            self.ingresses[k] = ing
        self._guarded(self.reconcile_ingress, ing)

    def reconcile_ingress(self, ing: dict[str, Any]) -> None:
        m = meta(ing)
        ours = INGRESS_FINALIZER in (m.get("finalizers") or [])
        if not lb_rules.is_alb(ing) and not ours:
            return
        stack = lb_rules.ingress_stack(ing)
        scheme = lb_rules.ingress_scheme(ing)
        if m.get("deletionTimestamp") or not lb_rules.is_alb(ing):
            if not ours:
                return
            with self.lock:
                shared = lb_rules.stack_still_used(ing, list(self.ingresses.values()))
            if not shared:
                self._delete_lb(self.where(ing), stack, scheme, "Ingress")
            self._remove_finalizer(Ingress, ing, INGRESS_FINALIZER)
            log.info("Ingress %s/%s: finalizer %s removed", *key(ing), INGRESS_FINALIZER)
            return
        ing = self._add_finalizer(Ingress, ing, INGRESS_FINALIZER)
        hostname = self._ensure_lb(
            self.where(ing), ing, kind="Ingress", stack=stack, scheme=scheme, ports=[]
        )
        if hostname:
            self._set_hostname(Ingress.Status, ing, hostname)

    # ----------------------------------------------------------------------------------- run
    def resync_loop(self) -> None:
        while not self.stop.wait(RESYNC_EVERY):
            try:
                svcs = [o.to_dict() for o in self.client.list(Service, namespace=ALL_NS)]
                ings = [o.to_dict() for o in self.client.list(Ingress, namespace=ALL_NS)]
                for svc in svcs:
                    svc.setdefault("kind", "Service")
                    svc.setdefault("apiVersion", "v1")
                    self._guarded(self.reconcile_service, svc)
                with self.lock:
                    self.ingresses = {key(i): i for i in ings}
                for ing in ings:
                    ing.setdefault("kind", "Ingress")
                    ing.setdefault("apiVersion", "networking.k8s.io/v1")
                    self._guarded(self.reconcile_ingress, ing)
            except ApiError as exc:
                if exc.status.code != 409:
                    log.warning("load-balancer resync: %s", exc)
            except Exception:
                log.exception("load-balancer resync failed")

    def start(self) -> list[threading.Thread]:
        svc_client, ing_client = self.watch_clients
        threads = [
            threading.Thread(
                target=watch_forever,
                args=(svc_client, Service, self.on_service, self.stop),
                kwargs={"name": "services"},
                name="service-watch",
                daemon=True,
            ),
            threading.Thread(
                target=watch_forever,
                args=(ing_client, Ingress, self.on_ingress, self.stop),
                kwargs={"name": "ingresses"},
                name="ingress-watch",
                daemon=True,
            ),
            threading.Thread(target=self.resync_loop, name="lb-resync", daemon=True),
        ]
        for t in threads:
            t.start()
        return threads
