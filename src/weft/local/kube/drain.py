"""Draining the nodes a node group version update replaces, as EKS's upgrade phase does.

EKS cordons each old node and evicts its pods through the eviction API, which refuses (HTTP
429) an eviction a PodDisruptionBudget does not allow; it retries, and when the pods still
cannot be evicted the update fails with ``PodEvictionFailure`` ("Understand each phase of node
updates", Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html). Here the
local EKS marks the nodes to drain in ``nodes.json`` (``"drain": {"update": ID, "seconds": S,
"parallel": N}``, :mod:`weft.local.moto_eks.rollout`); :class:`Drainer` drains them with real
evictions against the real API server (so the real disruption controller decides), and writes
its verdict to ``drains/ID.json``: ``{"status": "Successful"}``, or ``{"status": "Failed",
"pods": [...]}`` when a node kept pods for ``S`` seconds. DaemonSet pods and finished pods are
left, as ``kubectl drain --ignore-daemonsets`` leaves them. A node marked by us and no longer to
drain (the update failed) is uncordoned.

At most ``N`` nodes (the node group's ``updateConfig`` maxUnavailable) are drained at once: EKS
"randomly selects a node that needs to be upgraded, up to the maximum unavailable configured
for the node group", drains it, then terminates it (same page). A node drained is terminated
(:attr:`Drainer.terminated`: the kubelet simulator deregisters it) and frees its place for the
next; the nodes drained so far are kept in ``drains/ID.progress.json`` so a restarted simulator
does not bring them back.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightkube import ApiError, Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Node, Pod
from lightkube.types import PatchType

from weft.local.kube.meta import meta

log = logging.getLogger("weft.local.kube.drain")

#: The annotation on a node cordoned for a drain (its value: the update's id).
DRAIN_ANNOTATION = "weft.local/drained-for"


def evictable(pod: dict[str, Any]) -> bool:
    """Whether a drain must evict this pod: not a DaemonSet's, not finished, not leaving."""
    m = meta(pod)
    if m.get("deletionTimestamp"):
        return False
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    return not any(o.get("kind") == "DaemonSet" for o in m.get("ownerReferences") or [])


def daemon(pod: dict[str, Any]) -> bool:
    """Whether a pod belongs to a DaemonSet (a drain leaves it: it goes with its node)."""
    return any(o.get("kind") == "DaemonSet" for o in meta(pod).get("ownerReferences") or [])


def still_there(pod: dict[str, Any]) -> bool:
    """Whether a pod still holds its node: not finished (a leaving pod still counts)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


class Drainer:
    """Drains the nodes ``nodes.json`` marks, one update at a time; see the module docstring."""

    def __init__(
        self,
        client: Client,
        state_dir: Path,
        clock: Callable[[], float],
        terminate: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.state_dir = state_dir
        self.clock = clock
        #: what terminates a drained node (the kubelet simulator deregisters it)
        self.terminate = terminate or (lambda _name: None)
        #: update id -> {node name: when its drain began (None: not yet)}
        self.started: dict[str, dict[str, float | None]] = {}
        #: update id -> the nodes drained (and so terminated) for it
        self.drained: dict[str, set[str]] = {}

    @property
    def terminated(self) -> set[str]:
        """The nodes drained for an update in progress: EKS terminates them, so they are no
        longer registered (even while ``nodes.json`` still lists them)."""
        return {name for names in list(self.drained.values()) for name in names}

    def verdict_path(self, update: str) -> Path:
        return self.state_dir / "drains" / f"{update}.json"

    def step(self, wanted: list[dict[str, Any]], nodes: dict[str, dict[str, Any]]) -> None:
        """One pass: cordon and evict for every update in progress; uncordon what is no longer
        to drain. ``wanted``: the entries of ``nodes.json``; ``nodes``: our registered nodes."""
        by_update: dict[str, list[tuple[str, float]]] = {}
        parallel: dict[str, int] = {}
        for cfg in wanted:
            drain = cfg.get("drain")
            if isinstance(drain, dict) and drain.get("update"):
                by_update.setdefault(str(drain["update"]), []).append(
                    (cfg["name"], float(drain.get("seconds") or 12.0))
                )
                parallel[str(drain["update"])] = max(1, int(drain.get("parallel") or 1))
        draining = {name for entries in by_update.values() for name, _ in entries}
        for name, node in nodes.items():
            if name not in draining and DRAIN_ANNOTATION in (meta(node).get("annotations") or {}):
                self._cordon(name, None)
        for update in by_update:
            if update not in self.drained:
                self.drained[update] = self._progress(update)
        for update, entries in by_update.items():
            if self.verdict_path(update).exists():
                continue
            if not self._replacements_registered({n for n, _ in entries}, wanted, nodes):
                continue  # EKS drains nothing before the new nodes are Ready
            self._drain(update, sorted(entries), parallel[update])
        self.started = {u: s for u, s in self.started.items() if u in by_update}
        self.drained = {u: s for u, s in self.drained.items() if u in by_update}

    @staticmethod
    def _replacements_registered(
        draining: set[str], wanted: list[dict[str, Any]], nodes: dict[str, dict[str, Any]]
    ) -> bool:
        """Whether the new nodes of the groups being drained are all registered: EKS's scale
        up phase waits for every new node to be Ready before the upgrade phase drains one."""

        def group(cfg: dict[str, Any]) -> tuple[str, str]:
            labels = cfg.get("labels") or {}
            return (
                str(labels.get("weft.local/cluster")),
                str(labels.get("eks.amazonaws.com/nodegroup")),
            )

        groups = {group(cfg) for cfg in wanted if cfg["name"] in draining}
        return all(
            cfg["name"] in nodes
            for cfg in wanted
            if cfg["name"] not in draining and not cfg.get("drain") and group(cfg) in groups
        )

    def _drain(self, update: str, entries: list[tuple[str, float]], parallel: int) -> None:
        """Drain up to ``parallel`` of the update's nodes at once; a node drained is done (and
        terminated) and frees its place."""
        started = self.started.setdefault(update, {})
        done = self.drained.setdefault(update, set())
        busy = sum(1 for name, _ in entries if name in started and name not in done)
        for name, seconds in entries:
            if name in done:
                continue
            begun = started.get(name)
            if begun is None:
                if busy >= parallel:
                    continue  # at most maxUnavailable nodes at once
                begun = started[name] = self.clock()
                busy += 1
                self._cordon(name, update)
                log.info("drain %s: cordoned node %s", update, name)
            pods = self._pods_on(name)
            blocked = [p for p in pods if still_there(p) and not daemon(p)]
            for pod in (p for p in pods if evictable(p)):
                self._evict(pod)
            if not blocked:
                log.info("drain %s: node %s drained: it is terminated", update, name)
                done.add(name)
                self._write_progress(update, done)
                self.terminate(name)  # gone before another node takes its place
                busy -= 1
                continue
            if self.clock() - begun > seconds:
                names = sorted(f"{meta(p).get('namespace')}/{meta(p).get('name')}" for p in blocked)
                log.warning("drain %s: node %s kept %s: the update fails", update, name, names)
                self._write(update, {"status": "Failed", "node": name, "pods": names})
                return
        if all(name in done for name, _ in entries):
            self._write(update, {"status": "Successful"})
            log.info("drain %s: every node drained", update)

    def _progress(self, update: str) -> set[str]:
        try:
            found = json.loads(self.progress_path(update).read_text())
        except (OSError, ValueError):
            return set()
        return {str(n) for n in found} if isinstance(found, list) else set()

    def progress_path(self, update: str) -> Path:
        return self.state_dir / "drains" / f"{update}.progress.json"

    def _write_progress(self, update: str, done: set[str]) -> None:
        self._replace(self.progress_path(update), sorted(done))

    def _pods_on(self, node: str) -> list[dict[str, Any]]:
        return [
            p.to_dict()
            for p in self.client.list(Pod, namespace="*", fields={"spec.nodeName": node})
        ]

    def _evict(self, pod: dict[str, Any]) -> None:
        m = meta(pod)
        eviction = Pod.Eviction(metadata=ObjectMeta(name=m["name"], namespace=m["namespace"]))
        try:
            self.client.create(eviction, m["name"], namespace=m["namespace"])
            log.info("evicted pod %s/%s", m["namespace"], m["name"])
        except ApiError as exc:
            if exc.status.code not in (404, 429):
                log.warning("eviction of %s/%s failed: %s", m["namespace"], m["name"], exc)

    def _cordon(self, name: str, update: str | None) -> None:
        patch = {
            "metadata": {"annotations": {DRAIN_ANNOTATION: update}},
            "spec": {"unschedulable": True if update else None},
        }
        try:
            self.client.patch(Node, name, patch, patch_type=PatchType.MERGE)
        except ApiError as exc:
            log.warning("could not %scordon node %s: %s", "" if update else "un", name, exc)

    def _write(self, update: str, verdict: dict[str, Any]) -> None:
        self._replace(self.verdict_path(update), verdict)

    @staticmethod
    def _replace(path: Path, content: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(content))
        os.replace(tmp, path)
