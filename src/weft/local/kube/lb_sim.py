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

**Where.** The cluster name and region come from ``<state dir>/local/kube-cluster.json``
(``{"cluster": ..., "region": ...}``, written by weft when it maps an EKS cluster of the local AWS
onto this API server); without it, from the first EKS cluster found in the local AWS; else
``weft-local`` in ``$AWS_DEFAULT_REGION`` (``us-east-1``). Subnets: the VPC of that EKS cluster
(else the VPC tagged ``kubernetes.io/cluster/<cluster>``), its subnets tagged
``kubernetes.io/role/elb=1`` for ``internet-facing`` or ``kubernetes.io/role/internal-elb=1`` for
``internal`` (the scheme annotation; the real default is ``internal``), else the other role, else
any of its subnets; one per zone. When no subnet is found at all, no load balancer is created, a
Warning Event ``FailedDeployModel`` says so, and it retries every 15 s.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from lightkube import ALL_NS, ApiError, Client
from lightkube.resources.core_v1 import Service
from lightkube.resources.networking_v1 import Ingress
from lightkube.types import PatchType

from weft.local.aws_server import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from weft.local.kube.event import emit_event
from weft.local.kube.meta import key, meta
from weft.local.kube.watch import watch_forever

log = logging.getLogger("weft.local.kube.lb")

SERVICE_FINALIZER = "service.k8s.aws/resources"
INGRESS_FINALIZER = "ingress.k8s.aws/resources"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"
SCHEME_SERVICE = "service.beta.kubernetes.io/aws-load-balancer-scheme"
SCHEME_INGRESS = "alb.ingress.kubernetes.io/scheme"
GROUP_INGRESS = "alb.ingress.kubernetes.io/group.name"
RESYNC_EVERY = 15.0
COMPONENT = "aws-load-balancer-controller"
#: The label weft puts on every object of a fabric's apps.
FABRIC_LABEL = "weft.dev/fabric"


@dataclass(frozen=True)
class Where:
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


class LoadBalancerController:
    def __init__(
        self,
        client: Client,
        state_dir: Path,
        aws_endpoint: str,
        stop: threading.Event,
        watch_clients: tuple[Client, Client] | None = None,
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
        self._where: tuple[float, float, Where] | None = None
        self._by_fabric: dict[str, tuple[float, Where | None]] = {}
        self._warned: dict[str, str] = {}

    # ----------------------------------------------------------------------------- AWS side
    def _aws(self, service: str, region: str) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=LOCAL_ACCESS_KEY,
            aws_secret_access_key=LOCAL_SECRET_KEY,
        )

    def where(self, obj: dict[str, Any] | None = None) -> Where:
        """Cluster, region and VPC for ``obj``: the EKS cluster of the fabric named by its
        ``weft.dev/fabric`` label when there is one (several fabrics share the local API
        server), else the configured or first cluster. Cached 10 s."""
        fabric = ((meta(obj).get("labels") or {}).get(FABRIC_LABEL)) if obj else None
        if fabric:
            found = self._fabric_where(str(fabric))
            if found is not None:
                return found
        return self._default_where()

    def _fabric_where(self, fabric: str) -> Where | None:
        cached = self._by_fabric.get(fabric)
        if cached and time.monotonic() - cached[0] < 10:
            return cached[1]
        default_region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        try:
            described = self._aws("ec2", default_region).describe_regions()["Regions"]
            regions = [r["RegionName"] for r in described]
        except (ClientError, BotoCoreError):
            regions = [default_region]
        result = None
        for region in regions:
            eks = self._aws("eks", region)
            try:
                names = eks.list_clusters().get("clusters") or []
            except (ClientError, BotoCoreError):
                continue
            for name in names:
                try:
                    desc = eks.describe_cluster(name=name)["cluster"]
                except (ClientError, BotoCoreError):
                    continue
                if (desc.get("tags") or {}).get("weft:fabric") == fabric:
                    vpc = (desc.get("resourcesVpcConfig") or {}).get("vpcId")
                    result = Where(cluster=name, region=region, vpc_id=vpc)
                    break
            if result:
                break
        self._by_fabric[fabric] = (time.monotonic(), result)
        return result

    def _default_where(self) -> Where:
        path = self.state_dir / "kube-cluster.json"
        try:
            stamp = path.stat().st_mtime
        except OSError:
            stamp = 0.0
        cached = self._where
        if cached and cached[0] == stamp and time.monotonic() - cached[1] < 10:
            return cached[2]
        cfg: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            cfg = json.loads(path.read_text())
        default_region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        cluster, region = cfg.get("cluster"), cfg.get("region")
        if not cluster:
            found = self._find_eks_cluster([region] if region else None, default_region)
            if found:
                cluster, region = found
        cluster = cluster or "weft-local"
        region = region or default_region
        vpc_id: str | None = None
        try:
            desc = self._aws("eks", region).describe_cluster(name=cluster)["cluster"]
            vpc_id = (desc.get("resourcesVpcConfig") or {}).get("vpcId")
        except (ClientError, BotoCoreError):
            pass
        if not vpc_id:
            try:
                vpcs = self._aws("ec2", region).describe_vpcs(
                    Filters=[{"Name": "tag-key", "Values": [f"kubernetes.io/cluster/{cluster}"]}]
                )["Vpcs"]
                vpc_id = vpcs[0]["VpcId"] if vpcs else None
            except (ClientError, BotoCoreError):
                pass
        result = Where(cluster=cluster, region=region, vpc_id=vpc_id)
        self._where = (stamp, time.monotonic(), result)
        return result

    def _find_eks_cluster(
        self, regions: list[str] | None, default_region: str
    ) -> tuple[str, str] | None:
        if regions is None:
            try:
                described = self._aws("ec2", default_region).describe_regions()["Regions"]
                names = [r["RegionName"] for r in described]
            except (ClientError, BotoCoreError):
                names = []
            regions = [default_region] + [r for r in names if r != default_region]
        for region in regions:
            try:
                clusters = self._aws("eks", region).list_clusters().get("clusters") or []
            except (ClientError, BotoCoreError):
                continue
            if clusters:
                return sorted(clusters)[0], region
        return None

    def _subnets(self, where: Where, scheme: str) -> list[str]:
        ec2 = self._aws("ec2", where.region)
        filters = [{"Name": "vpc-id", "Values": [where.vpc_id]}] if where.vpc_id else []
        subnets = ec2.describe_subnets(Filters=filters)["Subnets"] if filters else []
        if not subnets:
            subnets = ec2.describe_subnets()["Subnets"]
            if subnets:
                vpc = subnets[0]["VpcId"]
                subnets = [s for s in subnets if s["VpcId"] == vpc]

        def tagged(role: str) -> list[dict[str, Any]]:
            return [
                s
                for s in subnets
                if any(
                    t["Key"] == role and t.get("Value", "") in ("1", "")
                    for t in s.get("Tags") or []
                )
            ]

        wanted = (
            "kubernetes.io/role/elb"
            if scheme == "internet-facing"
            else ("kubernetes.io/role/internal-elb")
        )
        other = (
            "kubernetes.io/role/internal-elb"
            if scheme == "internet-facing"
            else ("kubernetes.io/role/elb")
        )
        chosen = tagged(wanted) or tagged(other) or subnets
        per_zone: dict[str, str] = {}
        for s in sorted(chosen, key=lambda s: s["SubnetId"]):
            per_zone.setdefault(s["AvailabilityZone"], s["SubnetId"])
        return list(per_zone.values())

    def _find_lb(self, elbv2: Any, name: str) -> dict[str, Any] | None:
        try:
            lbs = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in (
                "LoadBalancerNotFound",
                "LoadBalancerNotFoundException",
            ):
                return None
            raise
        return lbs[0] if lbs else None

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
        name = lb_name(where.cluster, stack, scheme)
        prefix = "service" if kind == "Service" else "ingress"
        tags = {
            CLUSTER_TAG: where.cluster,
            f"{prefix}.k8s.aws/stack": stack,
            f"{prefix}.k8s.aws/resource": "LoadBalancer",
            f"kubernetes.io/cluster/{where.cluster}": "owned",
        }
        lb = self._find_lb(elbv2, name)
        if lb is None:
            subnets = self._subnets(where, scheme)
            if not subnets:
                message = (
                    "Failed deploy model due to couldn't auto-discover subnets: unable to resolve "
                    f"at least one subnet (region {where.region}, cluster {where.cluster}, "
                    f"vpc {where.vpc_id or 'none tagged'}); weft local simulator retries"
                )
                self._warn(obj, "FailedDeployModel", message)
                return None
            lb = elbv2.create_load_balancer(
                Name=name,
                Subnets=subnets,
                Scheme=scheme,
                Type="network" if kind == "Service" else "application",
                IpAddressType="ipv4",
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )["LoadBalancers"][0]
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
        self._ensure_listeners(elbv2, where, lb, kind=kind, stack=stack, ports=ports, tags=tags)
        return str(lb["DNSName"])

    def _ensure_listeners(
        self,
        elbv2: Any,
        where: Where,
        lb: dict[str, Any],
        *,
        kind: str,
        stack: str,
        ports: list[dict[str, Any]],
        tags: dict[str, str],
    ) -> None:
        arn = lb["LoadBalancerArn"]
        existing = {
            listener["Port"]
            for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
        }
        if kind != "Service":
            if 80 not in existing:
                elbv2.create_listener(
                    LoadBalancerArn=arn,
                    Protocol="HTTP",
                    Port=80,
                    DefaultActions=[
                        {
                            "Type": "fixed-response",
                            "FixedResponseConfig": {
                                "StatusCode": "404",
                                "ContentType": "text/plain",
                                "MessageBody": "",
                            },
                        }
                    ],
                )
            return
        for port in ports:
            number = int(port.get("port") or 0)
            if not number or number in existing:
                continue
            protocol = (port.get("protocol") or "TCP").upper()
            target_port = int(port.get("nodePort") or number)
            tg = elbv2.create_target_group(
                Name=tg_name(where.cluster, stack, number),
                Protocol=protocol,
                Port=target_port,
                VpcId=lb.get("VpcId"),
                TargetType="instance",
                Tags=[
                    {"Key": k, "Value": v}
                    for k, v in {
                        **tags,
                        "service.k8s.aws/resource": f"{stack}:{number}",
                    }.items()
                ],
            )["TargetGroups"][0]
            elbv2.create_listener(
                LoadBalancerArn=arn,
                Protocol=protocol,
                Port=number,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
            )

    def _delete_lb(self, where: Where, stack: str, scheme: str, kind: str) -> None:
        elbv2 = self._aws("elbv2", where.region)
        name = lb_name(where.cluster, stack, scheme)
        lb = self._find_lb(elbv2, name)
        if lb is None:
            return
        arn = lb["LoadBalancerArn"]
        tags = {
            t["Key"]: t["Value"]
            for t in elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
        }
        prefix = "service" if kind == "Service" else "ingress"
        if tags.get(CLUSTER_TAG) != where.cluster or tags.get(f"{prefix}.k8s.aws/stack") != stack:
            log.warning("not deleting %s: its tags %s are not those of %s", name, tags, stack)
            return
        groups = elbv2.describe_target_groups(LoadBalancerArn=arn)["TargetGroups"]
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
        for tg in groups:
            try:
                elbv2.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])
            except ClientError as exc:
                log.warning("target group %s not deleted: %s", tg["TargetGroupName"], exc)
        log.info("%s %s: deleted load balancer %s", kind, stack, name)

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
        lb_status = (obj.get("status") or {}).get("loadBalancer") or {}
        current = [i.get("hostname") for i in lb_status.get("ingress") or []]
        wanted = [hostname] if hostname else []
        if current == wanted:
            return
        ns, name = key(obj)
        body = {"status": {"loadBalancer": {"ingress": [{"hostname": h} for h in wanted]}}}
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
        spec = svc.get("spec") or {}
        annotations = m.get("annotations") or {}
        scheme = annotations.get(SCHEME_SERVICE, "internal")
        ours = SERVICE_FINALIZER in (m.get("finalizers") or [])
        wants_lb = spec.get("type") == "LoadBalancer" and not m.get("deletionTimestamp")
        if not wants_lb:
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
            where, svc, kind="Service", stack=stack, scheme=scheme, ports=spec.get("ports") or []
        )
        if hostname:
            self._set_hostname(Service.Status, svc, hostname)

    # ----------------------------------------------------------------------------- Ingresses
    @staticmethod
    def _is_alb(ing: dict[str, Any]) -> bool:
        cls = (ing.get("spec") or {}).get("ingressClassName") or (
            meta(ing).get("annotations") or {}
        ).get("kubernetes.io/ingress.class")
        return cls in (None, "", "alb")

    @staticmethod
    def _ingress_stack(ing: dict[str, Any]) -> str:
        group = (meta(ing).get("annotations") or {}).get(GROUP_INGRESS)
        return group or "/".join(key(ing))

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
        if not self._is_alb(ing) and not ours:
            return
        stack = self._ingress_stack(ing)
        scheme = (m.get("annotations") or {}).get(SCHEME_INGRESS, "internal")
        if m.get("deletionTimestamp") or not self._is_alb(ing):
            if not ours:
                return
            with self.lock:
                others = [
                    o
                    for k, o in self.ingresses.items()
                    if k != key(ing)
                    and self._is_alb(o)
                    and not meta(o).get("deletionTimestamp")
                    and self._ingress_stack(o) == stack
                ]
            if not others:
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
