"""The Cluster Autoscaler simulator: node groups of the local EKS grown for pods that wait for
room and shrunk when nodes stand idle, only while the Cluster Autoscaler is really installed in
the cluster, as on EKS.

**Only with the autoscaler.** Nothing resizes a node group until a Deployment running the
Cluster Autoscaler's image (``…/cluster-autoscaler:…``) is available in the cluster; then the
simulator acts as that autoscaler, with what its Deployment tells it, as the real one knows only
that ("Cluster Autoscaler on AWS", ``cluster-autoscaler/cloudprovider/aws/README.md`` of
kubernetes/autoscaler): ``--cloud-provider=aws``, the Auto Scaling groups it discovers by the
tags of ``--node-group-auto-discovery=asg:tag=K1,K2`` (``k8s.io/cluster-autoscaler/enabled``
and ``k8s.io/cluster-autoscaler/<cluster>``: the cluster is that second tag's), the region in
``AWS_REGION``. Every AWS call is made with the credentials of its ServiceAccount's IAM role
(IRSA), obtained and checked exactly as the load balancer simulator's
(:class:`weft.local.kube.lb_install.Credentials`): the local STS checks the trust, and moto's
IAM policy engine authorizes each call against the role's policies (:mod:`weft.local.moto_irsa`),
so a role that may not call ``SetDesiredCapacity`` gets ``AccessDenied`` and nothing grows.

**Scale-up.** Every :data:`SCAN_EVERY` seconds, the pods the scheduler left ``PodScheduled=False
Unschedulable`` are packed onto new nodes of the discovered groups, each new node like the
group's existing ones (labels, taints, allocatable; :mod:`.scheduling` and :mod:`.resources`
decide what fits), counting the nodes already asked for and not yet registered. A group that
can grow is raised with ``SetDesiredCapacity``, never past its ``MaxSize`` (and the local Auto
Scaling refuses what is, as AWS does: :mod:`weft.local.moto_eks.asg`); the local EKS then moves
the node group and the kubelet simulator registers the nodes. The pods get the autoscaler's
events: ``TriggeredScaleUp`` ("pod triggered scale-up: [{group 1->3 (max: 3)}]"), or
``NotTriggerScaleUp`` ("pod didn't trigger scale-up: 1 max node group size reached"), or a
Warning ``FailedToScaleUpGroup`` with AWS's error when the call is refused.

**Scale-down.** A node of a discovered group on which nothing runs but DaemonSet pods and
mirror pods (``--skip-nodes-with-system-pods=false``: kube-system pods do not keep a node, unless
annotated ``cluster-autoscaler.kubernetes.io/safe-to-evict: "false"``, as the autoscaler's own
pod is) for :data:`IDLE_AFTER` seconds (the real ``--scale-down-unneeded-time`` is 10 minutes;
``WEFT_LOCAL_SCALE_DOWN_SECONDS`` sets it when the simulators start) is removed by lowering the
group's desired capacity by one, never below ``MinSize``, with a ``ScaleDown`` event on the
node. The local node group removes its newest node on a lower capacity, so only the group's
newest node is removed, when it is idle (a real group's termination policy picks among its
instances; the autoscaler calls ``TerminateInstanceInAutoScalingGroup`` for the node it chose).
Nothing is removed while pods wait for room.

A group with no node yet is not grown (the real autoscaler builds its template from the node
group's description); the simulator's decisions are pure (:func:`plan_scale_up`,
:func:`idle_nodes`), the rest is I/O.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from lightkube import ALL_NS, ApiError, Client
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Node, Pod

from weft.local.kube import lb_install, resources, scheduling
from weft.local.kube.event import emit_event
from weft.local.kube.lb_install import Installed, NotReady
from weft.local.kube.meta import meta

log = logging.getLogger("weft.local.kube.autoscaler")

COMPONENT = "cluster-autoscaler"
SCAN_EVERY = 2.0
IDLE_AFTER = float(os.environ.get("WEFT_LOCAL_SCALE_DOWN_SECONDS") or 15.0)
IMAGE_NAME = "cluster-autoscaler"
CLUSTER_TAG_PREFIX = "k8s.io/cluster-autoscaler/"
SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


@dataclass(frozen=True)
class Autoscaler:
    """A Cluster Autoscaler running in the cluster, as its Deployment configures it."""

    namespace: str
    deployment: str
    service_account: str
    cluster: str
    region: str
    #: the discovery filters: tag key -> value (None: any value)
    tags: tuple[tuple[str, str | None], ...]

    def as_installed(self) -> Installed:
        """The shape :class:`~weft.local.kube.lb_install.Credentials` takes."""
        return Installed(
            namespace=self.namespace,
            deployment=self.deployment,
            service_account=self.service_account,
            cluster=self.cluster,
            region=self.region,
            vpc_id="",
            ingress_class="",
            lb_class="",
        )


def _container(dep: dict[str, Any]) -> dict[str, Any] | None:
    containers = (((dep.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    for c in containers:
        image = str(c.get("image") or "")
        repository = image.split("@", 1)[0].rsplit(":", 1)[0] if "/" in image else image
        if repository.rsplit("/", 1)[-1] == IMAGE_NAME:
            return dict(c)
    return None


def autoscaler_of(dep: dict[str, Any], default_region: str) -> Autoscaler | None:
    """The autoscaler a Deployment runs, when it is available, runs the autoscaler's image for
    AWS and discovers groups by tag (pure)."""
    if int((dep.get("status") or {}).get("availableReplicas") or 0) < 1:
        return None
    container = _container(dep)
    if container is None:
        return None
    args: dict[str, str] = {}
    for arg in [*(container.get("command") or []), *(container.get("args") or [])]:
        if arg.startswith("--"):
            k, _, v = arg[2:].partition("=")
            args[k] = v
    if args.get("cloud-provider") != "aws":
        return None
    discovery = args.get("node-group-auto-discovery", "")
    if not discovery.startswith("asg:tag="):
        return None
    tags: list[tuple[str, str | None]] = []
    for item in discovery.removeprefix("asg:tag=").split(","):
        k, eq, v = item.partition("=")
        if k:
            tags.append((k, v if eq else None))
    cluster = next(
        (
            k.removeprefix(CLUSTER_TAG_PREFIX)
            for k, _ in tags
            if k.startswith(CLUSTER_TAG_PREFIX) and k != f"{CLUSTER_TAG_PREFIX}enabled"
        ),
        None,
    )
    if not cluster:
        return None
    env = {str(e.get("name")): str(e.get("value") or "") for e in container.get("env") or []}
    meta_ = dep.get("metadata") or {}
    pod_spec = ((dep.get("spec") or {}).get("template") or {}).get("spec") or {}
    return Autoscaler(
        namespace=str(meta_.get("namespace") or "default"),
        deployment=str(meta_.get("name")),
        service_account=str(pod_spec.get("serviceAccountName") or "default"),
        cluster=cluster,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or default_region,
        tags=tuple(tags),
    )


# ----------------------------------------------------------------------------- decisions
@dataclass
class Group:
    """A discovered Auto Scaling group and the registered nodes that are its instances."""

    name: str
    min_size: int
    max_size: int
    desired: int
    nodes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def upcoming(self) -> int:
        """Nodes asked for and not registered yet."""
        return max(0, self.desired - len(self.nodes))


@dataclass
class ScaleUp:
    """What one scan decided: group -> new desired capacity, and the pods' events."""

    desired: dict[str, int] = field(default_factory=dict)
    #: pod uid -> group it triggered
    triggered: dict[str, str] = field(default_factory=dict)
    #: pod uid -> why it triggered nothing
    not_triggered: dict[str, str] = field(default_factory=dict)


def is_unschedulable(pod: dict[str, Any]) -> bool:
    if not scheduling.is_pending(pod):
        return False
    return any(
        c.get("type") == "PodScheduled"
        and c.get("status") == "False"
        and c.get("reason") == "Unschedulable"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def _template(node: dict[str, Any]) -> dict[str, Any]:
    """A new node of the group, like ``node``: its labels, taints and allocatable, schedulable
    and Ready."""
    return {
        "metadata": {"name": "template", "labels": dict(meta(node).get("labels") or {})},
        "spec": {"taints": list((node.get("spec") or {}).get("taints") or [])},
        "status": {
            "allocatable": dict((node.get("status") or {}).get("allocatable") or {}),
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def plan_scale_up(pending: Iterable[dict[str, Any]], groups: list[Group]) -> ScaleUp:
    """Pack the pending pods onto new nodes of the groups (in name order; the nodes already
    asked for first), each group within its max (pure)."""
    out = ScaleUp()
    added: dict[str, list[resources.Request]] = {
        g.name: [resources.Request()] * g.upcoming for g in groups
    }
    for pod in pending:
        uid = str(meta(pod).get("uid") or "")
        want = resources.pod_request(pod)
        at_max = 0
        for group in sorted(groups, key=lambda g: g.name):
            if not group.nodes:
                continue
            template = _template(group.nodes[0])
            if scheduling.fit_problem(pod, template, resources.Request()) is not None:
                continue
            room = resources.allocatable(template)
            new_nodes = added[group.name]
            slot = next(
                (
                    i
                    for i, used in enumerate(new_nodes)
                    if not resources.fit_problem(want, room, used)
                ),
                None,
            )
            base = max(group.desired, len(group.nodes))
            if slot is None:
                if base + len(new_nodes) - group.upcoming >= group.max_size:
                    at_max += 1
                    continue
                new_nodes.append(resources.Request())
                slot = len(new_nodes) - 1
            new_nodes[slot] = new_nodes[slot] + want
            if slot >= group.upcoming:
                out.desired[group.name] = base + len(new_nodes) - group.upcoming
                out.triggered[uid] = group.name
            break
        else:
            out.not_triggered[uid] = (
                f"pod didn't trigger scale-up: {at_max} max node group size reached"
                if at_max
                else "pod didn't trigger scale-up: it wouldn't fit if a new node is added"
            )
    return out


def _movable(pod: dict[str, Any]) -> bool:
    """Whether a pod does not keep its node from being removed: a DaemonSet's or mirror pod, or
    a kube-system pod (``--skip-nodes-with-system-pods=false``) not marked unsafe to evict."""
    m = meta(pod)
    annotations = m.get("annotations") or {}
    if MIRROR_ANNOTATION in annotations:
        return True
    if any(o.get("kind") == "DaemonSet" for o in m.get("ownerReferences") or []):
        return True
    if str(annotations.get(SAFE_TO_EVICT, "")).lower() == "false":
        return False
    return m.get("namespace") == "kube-system"


def idle_nodes(nodes: Iterable[dict[str, Any]], pods: Iterable[dict[str, Any]]) -> set[str]:
    """The nodes on which nothing runs but pods that do not keep a node (pure)."""
    busy: set[str] = set()
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node and not resources.is_finished(pod) and not _movable(pod):
            busy.add(node)
    return {str(meta(n)["name"]) for n in nodes} - busy


def _newest(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    return max(
        nodes,
        key=lambda n: (str(meta(n).get("creationTimestamp") or ""), str(meta(n).get("name"))),
        default=None,
    )


# ------------------------------------------------------------------------------------- I/O
class ClusterAutoscaler:
    def __init__(
        self,
        client: Client,
        aws_endpoint: str,
        stop: threading.Event,
        clock: Callable[[], float] = time.monotonic,
        idle_after: float = IDLE_AFTER,
        scan_every: float = SCAN_EVERY,
    ) -> None:
        self.client = client
        self.stop = stop
        self.clock = clock
        self.idle_after = idle_after
        self.scan_every = scan_every
        self.credentials = lb_install.Credentials(client, aws_endpoint, clock)
        self.default_region = os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.idle_since: dict[str, float] = {}
        self._said: dict[str, str] = {}

    def find(self) -> Autoscaler | None:
        """The autoscaler installed in the cluster (the first available one), or None."""
        try:
            deps = [dict(d.to_dict()) for d in self.client.list(Deployment, namespace=ALL_NS)]
        except ApiError:
            return None
        for dep in sorted(deps, key=lambda d: (d["metadata"]["namespace"], d["metadata"]["name"])):
            found = autoscaler_of(dep, self.default_region)
            if found is not None:
                return found
        return None

    def _say(self, obj: dict[str, Any], reason: str, message: str, warning: bool = False) -> None:
        """An event about ``obj``, once per object and message."""
        uid = str(meta(obj).get("uid") or meta(obj).get("name"))
        if self._said.get(uid) == message:
            return
        self._said[uid] = message
        (log.warning if warning else log.info)(
            "%s %s: %s", obj.get("kind"), meta(obj).get("name"), message
        )
        emit_event(
            self.client,
            obj,
            reason,
            message,
            type_="Warning" if warning else "Normal",
            component=COMPONENT,
        )

    def _groups(self, ca: Autoscaler, autoscaling: Any, nodes: list[dict[str, Any]]) -> list[Group]:
        filters = [
            {"Name": f"tag:{k}", "Values": [v]}
            if v is not None
            else {"Name": "tag-key", "Values": [k]}
            for k, v in ca.tags
        ]
        found = autoscaling.describe_auto_scaling_groups(Filters=filters)["AutoScalingGroups"]
        by_instance: dict[str, dict[str, Any]] = {}
        for node in nodes:
            provider = str((node.get("spec") or {}).get("providerID") or "")
            by_instance[provider.rsplit("/", 1)[-1]] = node
        groups = []
        for g in found:
            members = [
                by_instance[i["InstanceId"]]
                for i in g.get("Instances") or []
                if i["InstanceId"] in by_instance
            ]
            groups.append(
                Group(
                    name=g["AutoScalingGroupName"],
                    min_size=int(g["MinSize"]),
                    max_size=int(g["MaxSize"]),
                    desired=int(g["DesiredCapacity"]),
                    nodes=sorted(members, key=lambda n: str(meta(n)["name"])),
                )
            )
        return groups

    def scan(self) -> None:
        """One look at the cluster and the groups, and what the autoscaler would do."""
        ca = self.find()
        if ca is None:
            self.idle_since.clear()
            return
        nodes = [dict(n.to_dict()) for n in self.client.list(Node)]
        pods = [dict(p.to_dict()) for p in self.client.list(Pod, namespace=ALL_NS)]
        for pod in pods:
            pod.setdefault("kind", "Pod")
            pod.setdefault("apiVersion", "v1")
        pending = [p for p in pods if is_unschedulable(p)]
        try:
            autoscaling = self.credentials.aws(ca.as_installed(), "autoscaling")
            groups = self._groups(ca, autoscaling, nodes)
        except (NotReady, ClientError, BotoCoreError) as exc:
            for pod in pending:
                self._say(pod, "FailedToScaleUpGroup", _why(exc), warning=True)
            return
        if pending:
            self.idle_since.clear()
            self._scale_up(autoscaling, pending, groups)
            return
        self._scale_down(autoscaling, pods, groups)

    def _scale_up(
        self, autoscaling: Any, pending: list[dict[str, Any]], groups: list[Group]
    ) -> None:
        plan = plan_scale_up(pending, groups)
        by_name = {g.name: g for g in groups}
        failed: dict[str, str] = {}
        for name, desired in plan.desired.items():
            group = by_name[name]
            try:
                autoscaling.set_desired_capacity(
                    AutoScalingGroupName=name, DesiredCapacity=desired, HonorCooldown=False
                )
            except (ClientError, BotoCoreError) as exc:
                failed[name] = f"Scale-up of group {name} failed: {_why(exc)}"
                continue
            log.info(
                "scale-up: group %s %d->%d (max: %d)", name, group.desired, desired, group.max_size
            )
        for pod in pending:
            uid = str(meta(pod).get("uid") or "")
            target = plan.triggered.get(uid)
            if target is not None and target in failed:
                self._say(pod, "FailedToScaleUpGroup", failed[target], warning=True)
            elif target is not None:
                group = by_name[target]
                self._say(
                    pod,
                    "TriggeredScaleUp",
                    f"pod triggered scale-up: [{{{target} {group.desired}->"
                    f"{plan.desired[target]} (max: {group.max_size})}}]",
                )
            elif uid in plan.not_triggered:
                self._say(pod, "NotTriggerScaleUp", plan.not_triggered[uid])

    def _scale_down(
        self, autoscaling: Any, pods: list[dict[str, Any]], groups: list[Group]
    ) -> None:
        now = self.clock()
        members = [n for g in groups for n in g.nodes]
        idle = idle_nodes(members, pods)
        self.idle_since = {n: self.idle_since.get(n, now) for n in idle}
        for group in groups:
            newest = _newest(group.nodes)
            if (
                newest is None
                or group.desired <= group.min_size
                or len(group.nodes) != group.desired
            ):
                continue  # at its min, or nodes still coming or going
            name = str(meta(newest)["name"])
            if name not in idle or now - self.idle_since[name] < self.idle_after:
                continue
            try:
                autoscaling.set_desired_capacity(
                    AutoScalingGroupName=group.name,
                    DesiredCapacity=group.desired - 1,
                    HonorCooldown=False,
                )
            except (ClientError, BotoCoreError) as exc:
                newest.setdefault("kind", "Node")
                newest.setdefault("apiVersion", "v1")
                self._say(newest, "ScaleDownFailed", _why(exc), warning=True)
                continue
            self.idle_since.pop(name, None)
            newest.setdefault("kind", "Node")
            newest.setdefault("apiVersion", "v1")
            self._say(newest, "ScaleDown", f"Scale-down: removing empty node {name}")
            log.info("scale-down: group %s %d->%d", group.name, group.desired, group.desired - 1)

    def loop(self) -> None:
        while not self.stop.wait(self.scan_every):
            try:
                self.scan()
            except ApiError as exc:
                log.warning("cluster-autoscaler scan: %s", exc)
            except Exception:
                log.exception("cluster-autoscaler scan failed")

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.loop, name="cluster-autoscaler", daemon=True)
        thread.start()
        return thread


def _why(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error") or {}
        return f"{err.get('Code')}: {err.get('Message')}"
    return str(exc).removeprefix("Failed deploy model due to ")
