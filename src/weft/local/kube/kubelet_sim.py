"""The kubelet simulator (plus the one scheduling decision a kubelet cannot make: binding).

* **Nodes** come from ``<state dir>/local/nodes.json`` (``[{"name": ..., "labels": {...},
  "taints": [...]}]``, re-read every heartbeat; nodes dropped from the file are deleted) and
  ``auto_nodes.json`` (EKS Auto Mode's, :mod:`weft.local.kube.auto_mode_nodes`) or, when neither
  file is there, three nodes ``local-node-{1,2,3}``. Every node carries the label
  ``weft.local/simulated=true``; only such nodes are ever changed or deleted. Each one is kept
  Ready: its Lease in ``kube-node-lease`` is renewed every 10 s and its status every 30 s, so the
  real node-lifecycle controller sees healthy nodes (and marks them NotReady, then evicts their
  pods, when the simulator stops — as on a cluster whose kubelets died). The objects are built
  by :mod:`weft.local.kube.node`. A node of a local EKS node group is an EC2 instance of the
  local cloud (:mod:`weft.local.moto_eks.instances`): it registers with that instance's provider
  ID and address, its pods get the secondary addresses of the instance's interface (so a pod's
  address leads, through EC2, to the security groups it really has), and when the instance is
  replaced the node is registered anew (its pods end and are made again).
* **Scheduling** (there is no kube-scheduler): pending pods are bound round-robin to a Ready,
  schedulable node that matches ``nodeSelector``, required node affinity and whose NoSchedule /
  NoExecute taints the pod tolerates, and with room for the pod's cpu, memory and pod count
  beside what its pods already request (:mod:`weft.local.kube.resources`; each node has
  ``3920m`` cpu, ``15Gi`` and 110 pods allocatable). If none fits the pod gets ``PodScheduled=False
  Unschedulable`` with a scheduler-like message and is retried. The decision is
  :func:`weft.local.kube.scheduling.place`.
* **Running**: 0.7 s after binding the pod is Running/Ready (conditions, ``containerStatuses``
  ready with a ``running`` state, podIP/hostIP). The image tag decides failures
  (:mod:`weft.local.kube.pod_status`, which decides every status this simulator writes):

  - a tag containing ``fail``: ``ErrImagePull``, then ``ImagePullBackOff`` (pod stays Pending);
  - a tag containing ``crash``: the container "exits 1" again and again:
    ``CrashLoopBackOff`` with ``restartCount`` rising (back-off 1, 2, 4 … 30 s — faster than the
    real 10 s … 5 min so tests stay short);
  - pods of Jobs (``restartPolicy`` Never/OnFailure) run for ~1 s then Succeed (exit 0), or with
    a ``crash`` image fail (Never) or crash-loop (OnFailure).
* **Drains**: nodes that ``nodes.json`` marks ``drain`` (a node group version update replaces
  them) are cordoned and their pods evicted through the eviction API, PodDisruptionBudgets
  deciding, at most the group's maxUnavailable at once, each node deregistered once drained
  (:mod:`weft.local.kube.drain`); a node of a node group reports its group's kubelet version
  (``kubelet_version`` in ``nodes.json``).
* **Output**: what each simulated container prints (its start line, the port it listens on,
  its exits: :func:`weft.local.kube.kubelet_logs.container_output`) is kept per container and
  served at the nodes' kubelet endpoint, so ``pods/log`` works through the API server; it goes
  with the pod.
* **Deletion**: a pod with ``deletionTimestamp`` on one of our nodes (or never bound) is finalised
  with a grace period of 0, as a kubelet does once the containers stopped. When a node leaves
  ``nodes.json`` (its node group shrank or went), its pods are ended with it, as a managed node
  group drains a node it removes; the file is followed within a second.

This module is the I/O around those decisions: it reads the API server (watch and lists),
writes what the pure modules decide, and keeps the clock (``clock``, monotonic seconds).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightkube import ApiError, Client
from lightkube.codecs import from_dict
from lightkube.models.core_v1 import ObjectReference
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import Binding, Node, Pod
from lightkube.types import PatchType

from weft.local.kube import drain, pod_status, resources, scheduling
from weft.local.kube import node as nodes_
from weft.local.kube.event import emit_event
from weft.local.kube.kubelet_logs import LogBook, container_output
from weft.local.kube.kubelet_tls import KUBELET_HOST
from weft.local.kube.meta import key, meta, now_iso, now_micro
from weft.local.kube.pod_status import Step, Track
from weft.local.kube.watch import watch_forever

log = logging.getLogger("weft.local.kube.kubelet")

LEASE_EVERY = 10.0
#: The labels of a node of a local EKS node group naming its cluster and region.
CLUSTER_LABEL = "weft.local/cluster"
REGION_LABEL = "topology.kubernetes.io/region"
STATUS_EVERY = 30.0


def load_nodes(state_dir: Path) -> list[dict[str, Any]]:
    """The nodes ``nodes.json`` asks for, and EKS Auto Mode's (``auto_nodes.json``,
    :mod:`weft.local.kube.auto_mode_nodes`); the default three when neither file is there, or
    ``nodes.json`` is unreadable."""
    from weft.local.kube import auto_mode_nodes

    auto = auto_mode_nodes.load(state_dir)
    path = state_dir / "nodes.json"
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        if auto is not None:
            return auto
        return [dict(n) for n in nodes_.DEFAULT_NODES]
    except (OSError, ValueError) as exc:
        log.error("ignoring unreadable %s (%s); keeping the default nodes", path, exc)
        return [dict(n) for n in nodes_.DEFAULT_NODES]
    if not isinstance(data, list) or not all(isinstance(n, dict) and n.get("name") for n in data):
        log.error("ignoring %s: expected a list of {name, labels, taints}", path)
        return [dict(n) for n in nodes_.DEFAULT_NODES]
    return [*data, *(auto or [])]


class Kubelet:
    def __init__(
        self,
        client: Client,
        state_dir: Path,
        stop: threading.Event,
        watch_client: Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        kubelet_version: str = nodes_.KUBELET_VERSION,
        book: LogBook | None = None,
        kubelet_port: int | None = None,
    ) -> None:
        self.client = client
        #: what the simulated containers print (served by the kubelet endpoint on
        #: ``kubelet_port``, when there is one)
        self.book = book or LogBook()
        self.kubelet_port = kubelet_port
        self.kubelet_version = kubelet_version
        self.watch_client = watch_client or client
        self.state_dir = state_dir
        self.stop = stop
        self.clock = clock
        self.lock = threading.RLock()
        self.nodes: dict[str, dict[str, Any]] = {}  # our nodes, latest object
        self.dropped: set[str] = set()  # our nodes deleted since (their pods are ours to end)
        self.node_ips: dict[str, str] = {}
        #: the addresses each node's pods get (its interface's secondary ones), from nodes.json
        self.pod_pools: dict[str, list[str]] = {}
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self.tracks: dict[str, Track] = {}  # by pod uid
        self.unschedulable_noted: dict[str, str] = {}
        self.rr = itertools.count()
        self.ip_counter: dict[str, int] = {}
        self.last_status = 0.0
        #: the kubelet version each node of a node group reports (nodes.json's
        #: ``kubelet_version``; the simulator's own otherwise)
        self.node_versions: dict[str, str] = {}
        self.drainer = drain.Drainer(client, state_dir, clock, self._terminate)

    # ---------------------------------------------------------------------------- nodes
    def sync_nodes(self, force_status: bool = False) -> None:
        gone = self.drainer.terminated  # drained for an update: terminated, as EKS does
        wanted = [n for n in load_nodes(self.state_dir) if n["name"] not in gone]
        names = [n["name"] for n in wanted]
        existing = {meta(n)["name"]: n for n in (obj.to_dict() for obj in self.client.list(Node))}

        def status_due() -> bool:
            return force_status or self.clock() - self.last_status >= STATUS_EVERY

        for index, cfg in enumerate(wanted, start=1):
            name = cfg["name"]
            if cfg.get("ip"):
                self.node_ips[name] = str(cfg["ip"])
            self.node_ips.setdefault(name, f"10.0.{len(self.node_ips) + 1}.10")
            self.pod_pools[name] = [str(ip) for ip in cfg.get("pod_ips") or []]
            if cfg.get("kubelet_version"):
                self.node_versions[name] = str(cfg["kubelet_version"])
            body = nodes_.node_body(index, cfg, nodes_.zone(cfg, index))
            current = existing.get(name)
            replaced = current is not None and nodes_.replaced(current, body)
            if current is not None and nodes_.is_simulated(current) and replaced:
                # another instance now: the old node and its pods go, the new one registers
                self._drop_node(name)
                current = None
            if current is None:
                self.client.create(from_dict(body))
                log.info("registered node %s", name)
                self._patch_node_status(name)
            else:
                patch = nodes_.node_patch(current, body)
                if patch is not None:
                    self.client.patch(Node, name, patch, patch_type=PatchType.MERGE)
                    log.info("updated node %s (labels/taints)", name)
                if status_due():
                    self._patch_node_status(name)
            self._renew_lease(name)
        for name, node in existing.items():
            if name not in names and nodes_.is_simulated(node):
                self._drop_node(name)
        if status_due():
            self.last_status = self.clock()
        with self.lock:
            fresh = {meta(n)["name"]: n for n in (o.to_dict() for o in self.client.list(Node))}
            self.nodes = {n: fresh[n] for n in names if n in fresh}

    def _drop_node(self, name: str) -> None:
        """Delete our node ``name`` and end its pods (a managed node group drains a node it
        removes; their controllers make new ones on the nodes that remain)."""
        try:
            self.client.delete(Node, name)
            log.info("deleted node %s (no longer in nodes.json, or another instance)", name)
        except ApiError as exc:
            log.warning("could not delete node %s: %s", name, exc)
            return
        self.dropped.add(name)
        with self.lock:
            stranded = [
                p for p in self.pods.values() if (p.get("spec") or {}).get("nodeName") == name
            ]
        for pod in stranded:
            self._finalize(pod)

    def _terminate(self, name: str) -> None:
        """A node drained for a node group update: EKS terminates its instance."""
        with self.lock:
            self.nodes.pop(name, None)
        self._drop_node(name)

    def _patch_node_status(self, name: str) -> None:
        version = self.node_versions.get(name, self.kubelet_version)
        endpoint = (KUBELET_HOST, self.kubelet_port) if self.kubelet_port else None
        status = nodes_.node_status(name, self.node_ips[name], now_iso(), version, endpoint)
        self.client.patch(Node.Status, name, {"status": status}, patch_type=PatchType.MERGE)

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
            uid = node.metadata.uid if node.metadata else ""
            self.client.create(from_dict(nodes_.lease_body(name, uid, stamp)))

    def heartbeat_loop(self) -> None:
        """Renew the nodes every LEASE_EVERY seconds, and follow nodes.json (and
        auto_nodes.json) within a second."""
        last_sync, last_stamp = self.clock(), self._nodes_stamp()
        while not self.stop.wait(1.0):
            stamp = self._nodes_stamp()
            if stamp == last_stamp and self.clock() - last_sync < LEASE_EVERY:
                continue
            last_sync, last_stamp = self.clock(), stamp
            try:
                self.sync_nodes()
            except Exception:
                log.exception("node heartbeat failed")

    def _nodes_stamp(self) -> tuple[float | None, ...]:
        stamps: list[float | None] = []
        for name in ("nodes.json", "auto_nodes.json"):  # node groups', EKS Auto Mode's
            try:
                stamps.append((self.state_dir / name).stat().st_mtime)
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def drain_loop(self) -> None:
        """Drain the nodes ``nodes.json`` marks for a version update (:mod:`.drain`)."""
        while not self.stop.wait(0.5):
            try:
                with self.lock:
                    nodes = dict(self.nodes)
                self.drainer.step(load_nodes(self.state_dir), nodes)
            except Exception:
                log.exception("drain failed")

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
            # its containers are gone, and their log files with them
            self.book.forget_pod(ns, name)
        except ApiError as exc:
            if exc.status.code != 404:
                log.warning("pod %s/%s: delete failed: %s", ns, name, exc)

    def _next_ip(self, node: str) -> str:
        """A pod address on ``node``: a free one of its interface's (as the VPC CNI assigns
        them), else (a node that is no instance) one of the simulator's own."""
        pool = self.pod_pools.get(node) or []
        if pool:
            with self.lock:
                taken = {
                    (p.get("status") or {}).get("podIP")
                    for p in self.pods.values()
                    if (p.get("spec") or {}).get("nodeName") == node
                }
            count = self.ip_counter.get(node, 0)
            for step in range(len(pool)):
                candidate = pool[(count + step) % len(pool)]
                if candidate not in taken:
                    self.ip_counter[node] = count + step + 1
                    return candidate
            self.ip_counter[node] = count + 1
            return pool[count % len(pool)]
        index = list(self.nodes).index(node) + 1 if node in self.nodes else 9
        count = self.ip_counter.get(node, 1) + 1
        self.ip_counter[node] = count
        return f"10.244.{index}.{count % 250 + 2}"

    def _adopt(self, pod: dict[str, Any], node: str) -> Track:
        """Start tracking a pod bound to our node (fresh or from before a simulator restart)."""
        pod_ip = (pod.get("status") or {}).get("podIP") or self._next_ip(node)
        return pod_status.adopt(pod, node, self.clock(), pod_ip=pod_ip, stamp=now_iso())

    def _keep(self, old: Track, new: Track) -> None:
        """Replace the track ``old`` by ``new``, unless the pod was forgotten meanwhile."""
        with self.lock:
            if self.tracks.get(old.uid) is old:
                self.tracks[old.uid] = new

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
                now = self.clock()
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
            pending = [p for p in self.pods.values() if scheduling.is_pending(p)]
            nodes = [self.nodes[n] for n in sorted(self.nodes)]
            # what the nodes' pods request, as the scheduler counts it (pods bound this round
            # are added as they are bound: the watch has not told of them yet)
            used = resources.used_by_node(self.pods.values())
        for pod in pending:
            uid = meta(pod).get("uid", "")
            if uid in self.unschedulable_noted and not retry_unschedulable:
                continue
            self._schedule(pod, nodes, used)

    def _schedule(
        self,
        pod: dict[str, Any],
        nodes: list[dict[str, Any]],
        used: dict[str, resources.Request] | None = None,
    ) -> None:
        ns, name = key(pod)
        uid = meta(pod).get("uid", "")
        if not nodes:
            return
        placement = scheduling.place(pod, nodes, next(self.rr), used)
        if placement.node is not None:
            if used is not None:
                used[placement.node] = used.get(
                    placement.node, resources.Request()
                ) + resources.pod_request(pod)
            self._bind(pod, placement.node)
            return
        message = placement.message
        if self.unschedulable_noted.get(uid) == message:
            return
        self.unschedulable_noted[uid] = message
        log.info("pod %s/%s: unschedulable: %s", ns, name, message)
        condition = scheduling.unschedulable_condition(message, now_iso())
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

    def _bind(self, pod: dict[str, Any], node_name: str) -> None:
        ns, name = key(pod)
        uid = meta(pod).get("uid", "")
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
            step = pod_status.advance(
                track,
                pod,
                now,
                stamp=now_iso(),
                host_ip=self.node_ips.get(track.node, "10.0.0.10"),
                jitter=random.uniform(0, 0.05),
            )
            self._keep(track, step.attempted)
            try:
                self._report(step, pod)
            except ApiError as exc:
                if exc.status.code == 404:
                    self._keep(step.attempted, dataclasses.replace(step.attempted, stage="done"))
                else:
                    log.warning(
                        "pod %s/%s: status update failed: %s", track.namespace, track.name, exc
                    )
                    self._keep(step.attempted, dataclasses.replace(step.attempted, due=now + 1.0))
                continue
            self._keep(step.attempted, step.track)

    def _report(self, step: Step, pod: dict[str, Any]) -> None:
        """Record the step's Events and write the pod's status."""
        track = step.attempted
        for event in step.before:
            self._pod_event(pod, track, event)
        self.client.patch(
            Pod.Status,
            track.name,
            {"status": step.status},
            namespace=track.namespace,
            patch_type=PatchType.MERGE,
        )
        for event in step.after:
            self._pod_event(pod, track, event)
        for container, text in container_output(pod, step):
            self.book.write(track.namespace, track.name, container, text)
        if step.first_report:
            log.info(
                "pod %s/%s on %s: %s (%s)",
                track.namespace,
                track.name,
                track.node,
                step.phase,
                ", ".join(f"{n}={o}" for n, o in step.outcomes.items()),
            )
        elif step.phase in ("Succeeded", "Failed"):
            log.info("pod %s/%s: %s", track.namespace, track.name, step.phase)

    def _pod_event(self, pod: dict[str, Any], track: Track, event: pod_status.PodEvent) -> None:
        emit_event(
            self.client,
            pod,
            event.reason,
            event.message,
            type_=event.type,
            component="kubelet",
            host=track.node,
        )

    # ----------------------------------------------------------------------------- run
    def start(self) -> list[threading.Thread]:
        self.sync_nodes(force_status=True)
        threads = [
            threading.Thread(target=self.heartbeat_loop, name="node-heartbeat", daemon=True),
            threading.Thread(target=self.tick_loop, name="kubelet-tick", daemon=True),
            threading.Thread(target=self.drain_loop, name="node-drain", daemon=True),
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

    def cluster_of(self, namespace: str, pod: str) -> tuple[str, str] | None:
        """The local EKS cluster and region of the node ``namespace/pod`` runs on (its node's
        ``weft.local/cluster`` and region labels), or None."""
        with self.lock:
            found = self.pods.get((namespace, pod))
            node_name = ((found or {}).get("spec") or {}).get("nodeName")
            node = self.nodes.get(str(node_name)) if node_name else None
        labels = meta(node).get("labels") or {} if node else {}
        cluster, region = labels.get(CLUSTER_LABEL), labels.get(REGION_LABEL)
        return (str(cluster), str(region)) if cluster and region else None

    def nodes_ready(self) -> bool:
        with self.lock:
            nodes = list(self.nodes.values())
        return bool(nodes) and all(nodes_.is_ready(n) for n in nodes)
