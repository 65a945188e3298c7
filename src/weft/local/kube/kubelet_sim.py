"""The kubelet simulator (plus the one scheduling decision a kubelet cannot make: binding).

* **Nodes** come from ``<state dir>/local/nodes.json`` (``[{"name": ..., "labels": {...},
  "taints": [...]}]``, re-read every heartbeat; nodes dropped from the file are deleted) or, when
  the file is absent, three nodes ``local-node-{1,2,3}``. Every node carries the label
  ``weft.local/simulated=true``; only such nodes are ever changed or deleted. Each one is kept
  Ready: its Lease in ``kube-node-lease`` is renewed every 10 s and its status every 30 s, so the
  real node-lifecycle controller sees healthy nodes (and marks them NotReady, then evicts their
  pods, when the simulator stops — as on a cluster whose kubelets died).
* **Scheduling** (there is no kube-scheduler): pending pods are bound round-robin to a Ready,
  schedulable node that matches ``nodeSelector``, required node affinity and whose NoSchedule /
  NoExecute taints the pod tolerates. If none fits the pod gets ``PodScheduled=False
  Unschedulable`` with a scheduler-like message and is retried.
* **Running**: 0.7 s after binding the pod is Running/Ready (conditions, ``containerStatuses``
  ready with a ``running`` state, podIP/hostIP). The image tag decides failures:

  - a tag containing ``fail``: ``ErrImagePull``, then ``ImagePullBackOff`` (pod stays Pending);
  - a tag containing ``crash``: the container "exits 1" again and again:
    ``CrashLoopBackOff`` with ``restartCount`` rising (back-off 1, 2, 4 … 30 s — faster than the
    real 10 s … 5 min so tests stay short);
  - pods of Jobs (``restartPolicy`` Never/OnFailure) run for ~1 s then Succeed (exit 0), or with
    a ``crash`` image fail (Never) or crash-loop (OnFailure).
* **Deletion**: a pod with ``deletionTimestamp`` on one of our nodes (or never bound) is finalised
  with a grace period of 0, as a kubelet does once the containers stopped. When a node leaves
  ``nodes.json`` (its node group shrank or went), its pods are ended with it, as a managed node
  group drains a node it removes; the file is followed within a second.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lightkube import ApiError, Client
from lightkube.codecs import from_dict
from lightkube.models.core_v1 import ObjectReference
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import Binding, Node, Pod
from lightkube.types import PatchType

from weft.local.kube.simcommon import emit_event, key, meta, now_iso, now_micro, watch_forever

log = logging.getLogger("weft.local.kube.kubelet")

SIM_LABEL = "weft.local/simulated"
DEFAULT_NODES = [{"name": f"local-node-{i}", "labels": {}, "taints": []} for i in (1, 2, 3)]
START_DELAY = 0.7
JOB_RUN_SECONDS = 1.0
PULL_BACKOFF_AFTER = 2.0
LEASE_EVERY = 10.0
STATUS_EVERY = 30.0
KUBELET_VERSION = "v1.20.2"


def load_nodes(state_dir: Path) -> list[dict[str, Any]]:
    path = state_dir / "nodes.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return [dict(n) for n in DEFAULT_NODES]
    except (OSError, ValueError) as exc:
        log.error("ignoring unreadable %s (%s); keeping the default nodes", path, exc)
        return [dict(n) for n in DEFAULT_NODES]
    if not isinstance(data, list) or not all(isinstance(n, dict) and n.get("name") for n in data):
        log.error("ignoring %s: expected a list of {name, labels, taints}", path)
        return [dict(n) for n in DEFAULT_NODES]
    return data


def image_tag(image: str) -> str:
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def container_outcome(image: str) -> str:
    tag = image_tag(image).lower()
    if "fail" in tag:
        return "fail"
    if "crash" in tag:
        return "crash"
    return "ok"


# --------------------------------------------------------------------------------- scheduling
def _match_expression(labels: dict[str, str], expr: dict[str, Any]) -> bool:
    k, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    present = k in labels
    if op == "In":
        return present and labels[k] in values
    if op == "NotIn":
        return not present or labels[k] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present and values:
        try:
            a, b = int(labels[k]), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def _affinity_ok(pod: dict[str, Any], labels: dict[str, str]) -> bool:
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    return any(
        all(_match_expression(labels, e) for e in (term.get("matchExpressions") or []))
        for term in terms
    )


def _tolerates(tolerations: list[dict[str, Any]], taint: dict[str, Any]) -> bool:
    for tol in tolerations:
        effect = tol.get("effect")
        if effect and effect != taint.get("effect"):
            continue
        op = tol.get("operator") or "Equal"
        tkey = tol.get("key")
        if not tkey and op == "Exists":
            return True
        if tkey != taint.get("key"):
            continue
        if op == "Exists" or (tol.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def fit_problem(pod: dict[str, Any], node: dict[str, Any]) -> str | None:
    """None when ``pod`` may run on ``node``; else the scheduler's reason."""
    spec = node.get("spec") or {}
    labels = meta(node).get("labels") or {}
    if spec.get("unschedulable"):
        return "node(s) were unschedulable"
    conditions = (node.get("status") or {}).get("conditions") or []
    if not any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
        return "node(s) were not ready"
    pod_spec = pod.get("spec") or {}
    selector = pod_spec.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()) or not _affinity_ok(pod, labels):
        return "node(s) didn't match node selector"
    tolerations = pod_spec.get("tolerations") or []
    for taint in spec.get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(
            tolerations, taint
        ):
            return (
                f"node(s) had taint {{{taint.get('key')}: {taint.get('value', '')}}}, that "
                "the pod didn't tolerate"
            )
    return None


# ----------------------------------------------------------------------------------- tracking
@dataclass
class Track:
    """What the simulator knows of one pod bound to one of its nodes."""

    namespace: str
    name: str
    uid: str
    node: str
    pod_ip: str
    bound_at: float
    due: float
    stage: str = "starting"  # starting | running | pulling-failed | crashing | done
    restarts: int = 0
    backoff: float = 1.0
    pull_errors: int = 0
    started_at: str = ""
    events: set[str] = field(default_factory=set)


class Kubelet:
    def __init__(
        self,
        client: Client,
        state_dir: Path,
        stop: threading.Event,
        watch_client: Client | None = None,
    ) -> None:
        self.client = client
        self.watch_client = watch_client or client
        self.state_dir = state_dir
        self.stop = stop
        self.lock = threading.RLock()
        self.nodes: dict[str, dict[str, Any]] = {}  # our nodes, latest object
        self.dropped: set[str] = set()  # our nodes deleted since (their pods are ours to end)
        self.node_ips: dict[str, str] = {}
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self.tracks: dict[str, Track] = {}  # by pod uid
        self.unschedulable_noted: dict[str, str] = {}
        self.rr = itertools.count()
        self.ip_counter: dict[str, int] = {}
        self.last_status = 0.0

    # ---------------------------------------------------------------------------- nodes
    def _node_body(self, index: int, cfg: dict[str, Any], zone: str) -> dict[str, Any]:
        name = cfg["name"]
        labels = {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
            "topology.kubernetes.io/zone": zone,
            "node.kubernetes.io/instance-type": "m5.large",
            SIM_LABEL: "true",
            **{str(k): str(v) for k, v in (cfg.get("labels") or {}).items()},
        }
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "taints": list(cfg.get("taints") or []),
                "providerID": f"aws:///{zone}/i-{index:017x}",
            },
        }

    def _node_status(self, name: str) -> dict[str, Any]:
        stamp = now_iso()

        def cond(type_: str, status: str, reason: str, message: str) -> dict[str, str]:
            return {
                "type": type_,
                "status": status,
                "reason": reason,
                "message": message,
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": stamp,
            }

        capacity = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "80Gi"}
        return {
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "sufficient memory"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "sufficient PID"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [
                {"type": "InternalIP", "address": self.node_ips[name]},
                {"type": "Hostname", "address": name},
            ],
            "capacity": capacity,
            "allocatable": {**capacity, "cpu": "3920m", "memory": "15Gi"},
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": "weft-local",
                "systemUUID": "weft-local",
                "bootID": "weft-local",
                "kernelVersion": "simulated",
                "osImage": "weft local kubelet simulator",
                "containerRuntimeVersion": "simulated://1",
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        }

    def sync_nodes(self, force_status: bool = False) -> None:
        wanted = load_nodes(self.state_dir)
        names = [n["name"] for n in wanted]
        existing = {meta(n)["name"]: n for n in (obj.to_dict() for obj in self.client.list(Node))}
        for index, cfg in enumerate(wanted, start=1):
            name = cfg["name"]
            self.node_ips.setdefault(name, f"10.0.{len(self.node_ips) + 1}.10")
            zone = (cfg.get("labels") or {}).get("topology.kubernetes.io/zone") or (
                f"local-{'abc'[(index - 1) % 3]}"
            )
            body = self._node_body(index, cfg, zone)
            current = existing.get(name)
            if current is None:
                self.client.create(from_dict(body))
                log.info("registered node %s", name)
                self._patch_node_status(name)
            else:
                cur_meta = meta(current)
                cur_taints = (current.get("spec") or {}).get("taints") or []
                managed = [
                    t
                    for t in cur_taints
                    if not str(t.get("key", "")).startswith("node.kubernetes.io/")
                ]
                if (
                    any(
                        cur_meta.get("labels", {}).get(k) != v
                        for k, v in body["metadata"]["labels"].items()
                    )
                    or managed != body["spec"]["taints"]
                ):
                    controller = [t for t in cur_taints if t not in managed]
                    patch = {
                        "metadata": {"labels": body["metadata"]["labels"]},
                        "spec": {"taints": body["spec"]["taints"] + controller},
                    }
                    self.client.patch(Node, name, patch, patch_type=PatchType.MERGE)
                    log.info("updated node %s (labels/taints)", name)
                if force_status or time.monotonic() - self.last_status >= STATUS_EVERY:
                    self._patch_node_status(name)
            self._renew_lease(name)
        for name, node in existing.items():
            if name not in names and (meta(node).get("labels") or {}).get(SIM_LABEL) == "true":
                try:
                    self.client.delete(Node, name)
                    log.info("deleted node %s (no longer in nodes.json)", name)
                except ApiError as exc:
                    log.warning("could not delete node %s: %s", name, exc)
                    continue
                self.dropped.add(name)
                # its pods go with it (a managed node group drains a node it removes); their
                # controllers make new ones on the nodes that remain
                with self.lock:
                    stranded = [
                        p
                        for p in self.pods.values()
                        if (p.get("spec") or {}).get("nodeName") == name
                    ]
                for pod in stranded:
                    self._finalize(pod)
        if force_status or time.monotonic() - self.last_status >= STATUS_EVERY:
            self.last_status = time.monotonic()
        with self.lock:
            fresh = {meta(n)["name"]: n for n in (o.to_dict() for o in self.client.list(Node))}
            self.nodes = {n: fresh[n] for n in names if n in fresh}

    def _patch_node_status(self, name: str) -> None:
        self.client.patch(
            Node.Status, name, {"status": self._node_status(name)}, patch_type=PatchType.MERGE
        )

    def _renew_lease(self, name: str) -> None:
        stamp = now_micro()
        try:
            self.client.patch(
                Lease,
                name,
                {"spec": {"renewTime": stamp, "holderIdentity": name}},
                namespace="kube-node-lease",
                patch_type=PatchType.MERGE,
            )
        except ApiError as exc:
            if exc.status.code != 404:
                raise
            node = self.client.get(Node, name)
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {
                    "name": name,
                    "namespace": "kube-node-lease",
                    "ownerReferences": [
                        {
                            "apiVersion": "v1",
                            "kind": "Node",
                            "name": name,
                            "uid": node.metadata.uid if node.metadata else "",
                        }
                    ],
                },
                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": stamp},
            }
            self.client.create(from_dict(body))

    def heartbeat_loop(self) -> None:
        """Renew the nodes every LEASE_EVERY seconds, and follow nodes.json within a second."""
        last_sync, last_stamp = time.monotonic(), self._nodes_stamp()
        while not self.stop.wait(1.0):
            stamp = self._nodes_stamp()
            if stamp == last_stamp and time.monotonic() - last_sync < LEASE_EVERY:
                continue
            last_sync, last_stamp = time.monotonic(), stamp
            try:
                self.sync_nodes()
            except Exception:
                log.exception("node heartbeat failed")

    def _nodes_stamp(self) -> float | None:
        try:
            return (self.state_dir / "nodes.json").stat().st_mtime
        except OSError:
            return None

    # ----------------------------------------------------------------------------- pods
    def on_pod(self, event_type: str, pod: dict[str, Any]) -> None:
        k = key(pod)
        m = meta(pod)
        uid = m.get("uid", "")
        if event_type == "DELETED":
            with self.lock:
                self.pods.pop(k, None)
                self.tracks.pop(uid, None)
                self.unschedulable_noted.pop(uid, None)
            return
        with self.lock:
            self.pods[k] = pod
        node = (pod.get("spec") or {}).get("nodeName")
        if m.get("deletionTimestamp"):
            if not node or node in self.nodes or node in self.dropped:
                self._finalize(pod)
            return
        if node and node in self.nodes:
            with self.lock:
                if uid not in self.tracks:
                    self.tracks[uid] = self._adopt(pod, node)

    def on_relist(self, pods: list[dict[str, Any]]) -> None:
        with self.lock:
            keep = {key(p) for p in pods}
            uids = {meta(p).get("uid") for p in pods}
            self.pods = {k: v for k, v in self.pods.items() if k in keep}
            self.tracks = {u: t for u, t in self.tracks.items() if u in uids}

    def _finalize(self, pod: dict[str, Any]) -> None:
        ns, name = key(pod)
        try:
            self.client.delete(Pod, name, namespace=ns, grace_period=0)
            log.info("pod %s/%s: finalized deletion", ns, name)
        except ApiError as exc:
            if exc.status.code != 404:
                log.warning("pod %s/%s: delete failed: %s", ns, name, exc)

    def _next_ip(self, node: str) -> str:
        index = list(self.nodes).index(node) + 1 if node in self.nodes else 9
        count = self.ip_counter.get(node, 1) + 1
        self.ip_counter[node] = count
        return f"10.244.{index}.{count % 250 + 2}"

    def _adopt(self, pod: dict[str, Any], node: str) -> Track:
        """Start tracking a pod bound to our node (fresh or from before a simulator restart)."""
        m = meta(pod)
        status = pod.get("status") or {}
        now = time.monotonic()
        track = Track(
            namespace=m.get("namespace", ""),
            name=m.get("name", ""),
            uid=m.get("uid", ""),
            node=node,
            pod_ip=status.get("podIP") or self._next_ip(node),
            bound_at=now,
            due=now + START_DELAY,
        )
        phase = status.get("phase")
        statuses = status.get("containerStatuses") or []
        if phase in ("Succeeded", "Failed"):
            track.stage = "done"
        elif statuses:
            track.restarts = max(int(s.get("restartCount") or 0) for s in statuses)
            track.started_at = status.get("startTime") or now_iso()
            track.due = now + 1.0
            track.stage = "running" if phase == "Running" else "starting"
        return track

    # ---------------------------------------------------------------------------- ticker
    def refresh_nodes(self) -> None:
        """Re-read our nodes (taints and conditions the node-lifecycle controller changed)."""
        fresh = {meta(n)["name"]: n for n in (o.to_dict() for o in self.client.list(Node))}
        with self.lock:
            self.nodes = {name: fresh[name] for name in self.nodes if name in fresh}

    def tick_loop(self) -> None:
        last_retry = last_nodes = 0.0
        while not self.stop.wait(0.2):
            try:
                now = time.monotonic()
                if now - last_nodes >= 1.0:
                    last_nodes = now
                    self.refresh_nodes()
                retry = now - last_retry >= 3.0
                if retry:
                    last_retry = now
                self._schedule_pending(retry)
                self._advance(now)
            except Exception:
                log.exception("kubelet tick failed")

    def _schedule_pending(self, retry_unschedulable: bool) -> None:
        with self.lock:
            pending = [
                p
                for p in self.pods.values()
                if not (p.get("spec") or {}).get("nodeName")
                and not meta(p).get("deletionTimestamp")
                and (p.get("status") or {}).get("phase", "Pending") == "Pending"
                and (p.get("spec") or {}).get("schedulerName", "default-scheduler")
                == "default-scheduler"
            ]
            nodes = [self.nodes[n] for n in sorted(self.nodes)]
        for pod in pending:
            uid = meta(pod).get("uid", "")
            if uid in self.unschedulable_noted and not retry_unschedulable:
                continue
            self._schedule(pod, nodes)

    def _schedule(self, pod: dict[str, Any], nodes: list[dict[str, Any]]) -> None:
        ns, name = key(pod)
        uid = meta(pod).get("uid", "")
        if not nodes:
            return
        start = next(self.rr)
        problems: dict[str, int] = {}
        for i in range(len(nodes)):
            node = nodes[(start + i) % len(nodes)]
            problem = fit_problem(pod, node)
            if problem:
                problems[problem] = problems.get(problem, 0) + 1
                continue
            node_name = meta(node)["name"]
            binding = Binding(
                metadata=ObjectMeta(name=name, namespace=ns, uid=uid),
                target=ObjectReference(apiVersion="v1", kind="Node", name=node_name),
            )
            try:
                self.client.create(binding, namespace=ns)
            except ApiError as exc:
                if exc.status.code not in (404, 409):
                    log.warning("pod %s/%s: binding failed: %s", ns, name, exc)
                return
            except Exception:
                # lightkube parses the v1 Status answer as a Binding and fails; the bind worked.
                pass
            log.info("pod %s/%s: bound to %s", ns, name, node_name)
            self.unschedulable_noted.pop(uid, None)
            emit_event(
                self.client,
                pod,
                "Scheduled",
                f"Successfully assigned {ns}/{name} to {node_name}",
                component="default-scheduler",
            )
            return
        message = (
            f"0/{len(nodes)} nodes are available: "
            + ", ".join(f"{count} {problem}" for problem, count in sorted(problems.items()))
            + "."
        )
        if self.unschedulable_noted.get(uid) == message:
            return
        self.unschedulable_noted[uid] = message
        log.info("pod %s/%s: unschedulable: %s", ns, name, message)
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastTransitionTime": now_iso(),
        }
        try:
            self.client.patch(
                Pod.Status,
                name,
                {"status": {"conditions": [condition]}},
                namespace=ns,
                patch_type=PatchType.STRATEGIC,
            )
        except ApiError as exc:
            log.debug("pod %s/%s: unschedulable status not written: %s", ns, name, exc)
        emit_event(
            self.client,
            pod,
            "FailedScheduling",
            message,
            type_="Warning",
            component="default-scheduler",
        )

    def _advance(self, now: float) -> None:
        with self.lock:
            due = [t for t in self.tracks.values() if t.stage != "done" and t.due <= now]
        for track in due:
            with self.lock:
                pod = self.pods.get((track.namespace, track.name))
            if (
                pod is None
                or meta(pod).get("uid") != track.uid
                or meta(pod).get("deletionTimestamp")
            ):
                continue
            try:
                self._step(track, pod, now)
            except ApiError as exc:
                if exc.status.code == 404:
                    track.stage = "done"
                else:
                    log.warning(
                        "pod %s/%s: status update failed: %s", track.namespace, track.name, exc
                    )
                    track.due = now + 1.0

    # ---------------------------------------------------------------------- state machine
    def _step(self, track: Track, pod: dict[str, Any], now: float) -> None:
        spec = pod.get("spec") or {}
        containers = spec.get("containers") or []
        restart_policy = spec.get("restartPolicy") or "Always"
        is_job = restart_policy != "Always"
        outcomes = {c["name"]: container_outcome(c.get("image", "")) for c in containers}
        if not track.started_at:
            track.started_at = now_iso()
        stamp = now_iso()
        statuses: list[dict[str, Any]] = []
        phase = "Running"
        all_ready = True
        next_due = now + 3600.0

        if (
            track.stage in ("starting", "running")
            and is_job
            and all(o == "ok" for o in outcomes.values())
            and now - track.bound_at >= START_DELAY + JOB_RUN_SECONDS
        ):
            track.stage = "done"
            phase = "Succeeded"

        for c in containers:
            cname, image = c["name"], c.get("image", "")
            outcome = outcomes[cname]
            base = {
                "name": cname,
                "image": image,
                "imageID": "",
                "restartCount": 0,
                "ready": False,
                "started": False,
            }
            if outcome == "fail":
                all_ready = False
                reason = "ErrImagePull" if track.pull_errors % 2 == 0 else "ImagePullBackOff"
                message = (
                    f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
                    "not found (weft local: image tags containing 'fail' never pull)"
                    if reason == "ErrImagePull"
                    else f'Back-off pulling image "{image}"'
                )
                statuses.append(
                    {**base, "state": {"waiting": {"reason": reason, "message": message}}}
                )
                if f"pull-{track.pull_errors}" not in track.events and track.pull_errors < 6:
                    track.events.add(f"pull-{track.pull_errors}")
                    emit_event(
                        self.client,
                        pod,
                        "Failed" if reason == "ErrImagePull" else "BackOff",
                        f"Error: {reason}"
                        if reason == "ImagePullBackOff"
                        else f'Failed to pull image "{image}": {message}',
                        type_="Warning",
                        component="kubelet",
                        host=track.node,
                    )
                next_due = min(next_due, now + PULL_BACKOFF_AFTER * (1 + track.pull_errors % 2))
                if phase != "Succeeded":
                    phase = "Pending"
            elif outcome == "crash":
                all_ready = False
                terminated = {
                    "exitCode": 1,
                    "reason": "Error",
                    "startedAt": stamp,
                    "finishedAt": stamp,
                    "containerID": f"simulated://{track.uid[:12]}-{cname}-{track.restarts}",
                }
                if restart_policy == "Never":
                    statuses.append({**base, "state": {"terminated": terminated}})
                    phase = "Failed"
                    track.stage = "done"
                else:
                    statuses.append(
                        {
                            **base,
                            "restartCount": track.restarts,
                            "state": {
                                "waiting": {
                                    "reason": "CrashLoopBackOff",
                                    "message": f"back-off {int(track.backoff)}s restarting failed "
                                    f"container={cname} pod={track.name}_{track.namespace}"
                                    f"({track.uid})",
                                }
                            },
                            "lastState": {"terminated": terminated},
                        }
                    )
                    if track.restarts < 5 or track.restarts % 10 == 0:
                        emit_event(
                            self.client,
                            pod,
                            "BackOff",
                            "Back-off restarting failed container",
                            type_="Warning",
                            component="kubelet",
                            host=track.node,
                        )
                    next_due = min(next_due, now + track.backoff)
            else:
                if phase == "Succeeded":
                    statuses.append(
                        {
                            **base,
                            "state": {
                                "terminated": {
                                    "exitCode": 0,
                                    "reason": "Completed",
                                    "startedAt": track.started_at,
                                    "finishedAt": stamp,
                                    "containerID": f"simulated://{track.uid[:12]}-{cname}",
                                }
                            },
                        }
                    )
                else:
                    statuses.append(
                        {
                            **base,
                            "ready": True,
                            "started": True,
                            "containerID": f"simulated://{track.uid[:12]}-{cname}",
                            "state": {"running": {"startedAt": track.started_at}},
                        }
                    )
                    if is_job:
                        next_due = min(next_due, track.bound_at + START_DELAY + JOB_RUN_SECONDS)
        if any(o == "fail" for o in outcomes.values()):
            track.pull_errors += 1
        if any(o == "crash" for o in outcomes.values()) and track.stage != "done":
            track.restarts += 1
            track.backoff = min(track.backoff * 2, 30.0)
        if phase in ("Succeeded", "Failed"):
            all_ready = False
            track.stage = "done"

        ready = "True" if all_ready else "False"
        not_ready_reason = "PodCompleted" if phase == "Succeeded" else "ContainersNotReady"
        unready = [s["name"] for s in statuses if not s["ready"]]
        old_conditions = {
            c.get("type"): c for c in ((pod.get("status") or {}).get("conditions") or [])
        }

        def condition(type_: str, status: str, reason: str | None = None) -> dict[str, Any]:
            old = old_conditions.get(type_) or {}
            cond: dict[str, Any] = {
                "type": type_,
                "status": status,
                "lastProbeTime": None,
                "lastTransitionTime": old.get("lastTransitionTime")
                if old.get("status") == status
                else stamp,
            }
            if reason:
                cond["reason"] = reason
                if reason == "ContainersNotReady":
                    cond["message"] = f"containers with unready status: [{' '.join(unready)}]"
            return cond

        init_statuses = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": True,
                "restartCount": 0,
                "state": {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": track.started_at,
                        "finishedAt": stamp,
                    }
                },
            }
            for c in spec.get("initContainers") or []
        ]
        status: dict[str, Any] = {
            "phase": phase,
            "hostIP": self.node_ips.get(track.node, "10.0.0.10"),
            "podIP": track.pod_ip,
            "podIPs": [{"ip": track.pod_ip}],
            "startTime": track.started_at,
            "conditions": [
                condition("Initialized", "True"),
                condition("Ready", ready, None if all_ready else not_ready_reason),
                condition("ContainersReady", ready, None if all_ready else not_ready_reason),
                condition("PodScheduled", "True"),
            ],
            "containerStatuses": statuses,
        }
        if init_statuses:
            status["initContainerStatuses"] = init_statuses
        self.client.patch(
            Pod.Status,
            track.name,
            {"status": status},
            namespace=track.namespace,
            patch_type=PatchType.MERGE,
        )
        if track.stage == "starting":
            track.stage = "running"
            if all(o == "ok" for o in outcomes.values()):
                emit_event(
                    self.client,
                    pod,
                    "Started",
                    "Started container(s) " + ", ".join(outcomes),
                    component="kubelet",
                    host=track.node,
                )
            log.info(
                "pod %s/%s on %s: %s (%s)",
                track.namespace,
                track.name,
                track.node,
                phase,
                ", ".join(f"{n}={o}" for n, o in outcomes.items()),
            )
        elif phase in ("Succeeded", "Failed"):
            log.info("pod %s/%s: %s", track.namespace, track.name, phase)
        track.due = next_due + random.uniform(0, 0.05)

    # ----------------------------------------------------------------------------- run
    def start(self) -> list[threading.Thread]:
        self.sync_nodes(force_status=True)
        threads = [
            threading.Thread(target=self.heartbeat_loop, name="node-heartbeat", daemon=True),
            threading.Thread(target=self.tick_loop, name="kubelet-tick", daemon=True),
            threading.Thread(
                target=watch_forever,
                args=(self.watch_client, Pod, self.on_pod, self.stop),
                kwargs={"on_relist": self.on_relist, "name": "pods"},
                name="pod-watch",
                daemon=True,
            ),
        ]
        for t in threads:
            t.start()
        return threads

    def nodes_ready(self) -> bool:
        with self.lock:
            nodes = list(self.nodes.values())
        return bool(nodes) and all(
            any(
                c.get("type") == "Ready" and c.get("status") == "True"
                for c in (n.get("status") or {}).get("conditions") or []
            )
            for n in nodes
        )
