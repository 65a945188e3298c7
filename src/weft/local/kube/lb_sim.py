"""The AWS Load Balancer Controller simulator: real ELBv2 load balancers in the local AWS (moto),
made only when the controller is really installed in the cluster, as on EKS.

**Only with the controller** (:mod:`weft.local.kube.lb_install`). Nothing answers an Ingress or
a ``LoadBalancer`` Service until a Deployment of the controller is available in the cluster;
then the simulator acts as that controller: for the cluster, region and VPC its
``--cluster-name``, ``--aws-region`` and ``--aws-vpc-id`` name, with the AWS credentials of its
ServiceAccount's IAM role (IRSA, or EKS Pod Identity: :mod:`.lb_pod_identity`; every call
authorized by the role's policies), and only for
the objects that are its own (:func:`.load_balancer.is_alb`,
:func:`.load_balancer.service_is_ours`).
Without a controller there is no event at all, as on EKS; with one that cannot act (no role,
a trust that refuses the token, a policy that refuses a call, no subnet) the object gets the
controller's Warning events (``FailedDeployModel``, ``FailedBuildModel``) and is retried every
15 s.

For every Service of its own it creates a Network Load Balancer, and for every Ingress of its
own an Application Load Balancer, named and tagged as the AWS Load Balancer Controller does::

    elbv2.k8s.aws/cluster: <cluster>
    service.k8s.aws/stack: <ns>/<name>        (Ingress: ingress.k8s.aws/stack: <ns>/<name>
    service.k8s.aws/resource: LoadBalancer     or the alb.ingress.kubernetes.io/group.name)
    kubernetes.io/cluster/<cluster>: owned

plus one target group and listener per Service port (NLB), or (ALB) a security group, the
listeners the Ingress's annotations ask for (HTTPS with the annotated certificate and
security policy, HTTP redirecting to HTTPS) and a target group per backend, health-checked on
the annotated path (:mod:`weft.local.kube.lb_cloud`). Its DNS name goes into
``status.loadBalancer.ingress[0].hostname``.

**Finalizers, as on EKS.** Before creating anything it adds the finalizer
``service.k8s.aws/resources`` (``ingress.k8s.aws/resources``) to the object, and removes it only
after the load balancer and its target groups are deleted. So a Service is not gone before its
load balancer. If this simulator is not running (or the controller was uninstalled), deleting
such a Service (or its namespace) **hangs in Terminating**, exactly as on EKS; and a Service
left in place when the cluster goes leaves its load balancer orphaned, exactly as on AWS.

Subnets: those of the controller's VPC tagged ``kubernetes.io/role/elb=1`` for
``internet-facing`` or ``kubernetes.io/role/internal-elb=1`` for ``internal`` (the scheme
annotation; the real default is ``internal``), else the other role, else any of its subnets;
one per zone. When no subnet is found, a Warning ``FailedDeployModel`` says so.

The decisions are pure (:mod:`weft.local.kube.load_balancer`); this module is the Kubernetes
side: the controller's presence, watches, finalizers, addresses, Events and the periodic resync.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from lightkube import ALL_NS, ApiError, Client
from lightkube.resources.core_v1 import Service
from lightkube.resources.networking_v1 import Ingress, IngressClass
from lightkube.types import PatchType

from weft.local.kube import lb_cloud, lb_install, lb_pod_identity
from weft.local.kube import load_balancer as lb_rules
from weft.local.kube.event import emit_event
from weft.local.kube.lb_install import Installed, NotReady
from weft.local.kube.load_balancer import INGRESS_FINALIZER, SERVICE_FINALIZER, Where
from weft.local.kube.meta import key, meta
from weft.local.kube.watch import watch_forever

log = logging.getLogger("weft.local.kube.lb")

RESYNC_EVERY = 15.0
COMPONENT = "aws-load-balancer-controller"
#: Seconds the controller found in the cluster is kept before it is looked for again.
CONTROLLER_TTL = 1.0


class LoadBalancerController:
    #: The component its events are reported by.
    component = COMPONENT

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
        self.clock = clock
        self.credentials = lb_pod_identity.Credentials(client, aws_endpoint, clock)
        self.default_region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self._controller: tuple[float, Installed | None] | None = None
        self._warned: dict[str, str] = {}

    def controller(self) -> Installed | None:
        """The controller installed in the cluster (kept :data:`CONTROLLER_TTL` seconds)."""
        cached = self._controller
        if cached is not None and self.clock() - cached[0] < CONTROLLER_TTL:
            return cached[1]
        found = lb_install.find(self.client, self.default_region)
        self._controller = (self.clock(), found)
        return found

    def _aws(self, ctl: Installed, service: str) -> Any:
        return self.credentials.aws(ctl, service)

    @staticmethod
    def where(ctl: Installed) -> Where:
        """The cluster, region and VPC the controller was told."""
        return Where(cluster=ctl.cluster, region=ctl.region, vpc_id=ctl.vpc_id)

    def ingress_classes(self) -> dict[str, str]:
        """IngressClass name -> its controller."""
        return {
            str(c.metadata.name): str(c.spec.controller)
            for c in self.client.list(IngressClass)
            if c.metadata and c.spec
        }

    # ----------------------------------------------------------------------------- AWS side
    def _new_lb(
        self,
        ctl: Installed,
        obj: dict[str, Any],
        *,
        kind: str,
        stack: str,
        scheme: str,
        security_groups: list[str] | None = None,
    ) -> dict[str, Any] | None:
        """Find or create the load balancer of ``stack``; None (and a Warning) without subnets."""
        where = self.where(ctl)
        elbv2 = self._aws(ctl, "elbv2")
        name = lb_rules.lb_name(where.cluster, stack, scheme)
        lb = lb_cloud.find_lb(elbv2, name)
        if lb is not None:
            return lb
        if not self._still_wanted(obj):
            return None  # a stale look (the resync's list): the object is gone or going
        subnets = lb_cloud.subnets(self._aws(ctl, "ec2"), where, scheme)
        if not subnets:
            self._warn(obj, "FailedDeployModel", lb_rules.no_subnets_message(where))
            return None
        lb = lb_cloud.create_lb(
            elbv2,
            name=name,
            subnets=subnets,
            scheme=scheme,
            kind=kind,
            tags=lb_rules.lb_tags(where.cluster, kind, stack),
            security_groups=security_groups,
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
            component=self.component,
        )
        return lb

    def _ensure_service_lb(
        self, ctl: Installed, svc: dict[str, Any], stack: str, scheme: str
    ) -> str | None:
        ports = (svc.get("spec") or {}).get("ports") or []
        lb = self._new_lb(ctl, svc, kind="Service", stack=stack, scheme=scheme)
        if lb is None:
            return None
        tags = lb_rules.lb_tags(ctl.cluster, "Service", stack)
        lb_cloud.ensure_service_listeners(
            self._aws(ctl, "elbv2"),
            self.where(ctl),
            lb,
            kind="Service",
            stack=stack,
            ports=ports,
            tags=tags,
        )
        return str(lb["DNSName"])

    def _ensure_ingress_lb(
        self,
        ctl: Installed,
        ing: dict[str, Any],
        stack: str,
        scheme: str,
        plan: lb_rules.IngressPlan,
    ) -> str | None:
        where = self.where(ctl)
        tags = lb_rules.lb_tags(where.cluster, "Ingress", stack)
        group = lb_cloud.ensure_security_group(
            self._aws(ctl, "ec2"), where, stack, tags, [p for _, p in plan.listeners], scheme
        )
        lb = self._new_lb(
            ctl, ing, kind="Ingress", stack=stack, scheme=scheme, security_groups=[group]
        )
        if lb is None:
            return None
        lb_cloud.ensure_ingress(
            self._aws(ctl, "elbv2"),
            where,
            lb,
            plan,
            stack=stack,
            namespace=key(ing)[0],
            tags=tags,
        )
        return str(lb["DNSName"])

    def _delete_lb(self, ctl: Installed, stack: str, scheme: str, kind: str) -> None:
        where = self.where(ctl)
        lb_cloud.delete_lb(self._aws(ctl, "elbv2"), where, stack, scheme, kind)
        if kind == "Ingress":
            lb_cloud.delete_security_group(
                self._aws(ctl, "ec2"), where, stack, lb_rules.lb_tags(where.cluster, kind, stack)
            )

    def _still_wanted(self, obj: dict[str, Any]) -> bool:
        """Whether the object, read again now, still exists and is not being deleted (a load
        balancer is never made for what was deleted since it was listed)."""
        res = Service if obj.get("kind") == "Service" else Ingress
        ns, name = key(obj)
        try:
            fresh: Any = self.client.get(res, name, namespace=ns)
        except ApiError as exc:
            if exc.status.code == 404:
                return False
            raise
        return not (fresh.metadata and fresh.metadata.deletionTimestamp)

    def _leave_group(
        self,
        ctl: Installed,
        ing: dict[str, Any],
        others: list[dict[str, Any]],
        stack: str,
        scheme: str,
        classes: dict[str, str],
    ) -> None:
        """An Ingress leaves its group's ALB: its rules and target groups go, the ALB stays."""
        where = self.where(ctl)
        keep: set[str] = set()
        for other in others:
            if (
                key(other) != key(ing)
                and lb_rules.is_alb(other, classes, ctl.ingress_class)
                and not meta(other).get("deletionTimestamp")
                and lb_rules.ingress_stack(other) == stack
            ):
                plan = lb_rules.ingress_plan(other)
                keep |= lb_cloud.ingress_target_groups(where, plan, key(other)[0])
        names = lb_cloud.ingress_target_groups(where, lb_rules.ingress_plan(ing), key(ing)[0])
        lb_cloud.remove_ingress_routes(self._aws(ctl, "elbv2"), where, stack, scheme, names, keep)

    def _failed(self, obj: dict[str, Any], exc: Exception) -> None:
        """The controller's Warning for an AWS call refused, or credentials it could not get."""
        if isinstance(exc, NotReady):
            self._warn(obj, "FailedDeployModel", str(exc))
        elif isinstance(exc, ClientError):
            err = exc.response.get("Error") or {}
            self._warn(
                obj,
                "FailedDeployModel",
                f"Failed deploy model due to {err.get('Code')}: {err.get('Message')}",
            )
        else:
            self._warn(obj, "FailedDeployModel", f"Failed deploy model due to {exc}")

    def _warn(self, obj: dict[str, Any], reason: str, message: str) -> None:
        uid = meta(obj).get("uid", "")
        if self._warned.get(uid) == message:
            return
        self._warned[uid] = message
        log.warning("%s %s/%s: %s", obj.get("kind"), *key(obj), message)
        emit_event(self.client, obj, reason, message, type_="Warning", component=self.component)

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
        ctl = self.controller()
        if ctl is None:
            return  # nothing answers it, as on EKS without the controller
        m = meta(svc)
        ns, name = key(svc)
        stack = f"{ns}/{name}"
        scheme = lb_rules.service_scheme(svc)
        ours = SERVICE_FINALIZER in (m.get("finalizers") or [])
        mine = lb_rules.service_is_ours(svc, ctl.lb_class)
        try:
            if not lb_rules.wants_lb(svc) or not mine:
                if ours:
                    self._delete_lb(ctl, stack, scheme, "Service")
                    if not m.get("deletionTimestamp"):
                        self._set_hostname(Service.Status, svc, None)
                    self._remove_finalizer(Service, svc, SERVICE_FINALIZER)
                    log.info("Service %s: finalizer %s removed", stack, SERVICE_FINALIZER)
                return
            svc = self._add_finalizer(Service, svc, SERVICE_FINALIZER)
            hostname = self._ensure_service_lb(ctl, svc, stack, scheme)
        except (NotReady, ClientError, BotoCoreError) as exc:
            self._failed(svc, exc)
            return
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
        ctl = self.controller()
        if ctl is None:
            return
        m = meta(ing)
        ours = INGRESS_FINALIZER in (m.get("finalizers") or [])
        classes = self.ingress_classes()
        alb = lb_rules.is_alb(ing, classes, ctl.ingress_class)
        if not alb and not ours:
            return
        stack = lb_rules.ingress_stack(ing)
        scheme = lb_rules.ingress_scheme(ing)
        try:
            if m.get("deletionTimestamp") or not alb:
                if not ours:
                    return
                with self.lock:
                    others = list(self.ingresses.values())
                if not lb_rules.stack_still_used(ing, others, classes):
                    self._delete_lb(ctl, stack, scheme, "Ingress")
                else:
                    self._leave_group(ctl, ing, others, stack, scheme, classes)
                self._remove_finalizer(Ingress, ing, INGRESS_FINALIZER)
                log.info("Ingress %s/%s: finalizer %s removed", *key(ing), INGRESS_FINALIZER)
                return
            plan = lb_rules.ingress_plan(ing)
            if plan.problem:
                self._warn(ing, "FailedBuildModel", plan.problem)
                return
            ing = self._add_finalizer(Ingress, ing, INGRESS_FINALIZER)
            hostname = self._ensure_ingress_lb(ctl, ing, stack, scheme, plan)
        except (NotReady, ClientError, BotoCoreError) as exc:
            self._failed(ing, exc)
            return
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
