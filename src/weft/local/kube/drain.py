"""Draining the nodes a node group version update replaces, as EKS's upgrade phase does.

EKS cordons each old node and evicts its pods through the eviction API, which refuses (HTTP
429) an eviction a PodDisruptionBudget does not allow; it retries, and when the pods still
cannot be evicted the update fails with ``PodEvictionFailure`` ("Understand each phase of node
updates", Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html). Here the
local EKS marks the nodes to drain in ``nodes.json`` (``"drain": {"update": ID, "seconds": S}``,
:mod:`weft.local.moto_eks.rollout`); :class:`Drainer` drains them one node at a time with real
evictions against the real API server (so the real disruption controller decides), and writes
its verdict to ``drains/ID.json``: ``{"status": "Successful"}``, or ``{"status": "Failed",
"pods": [...]}`` when a node kept pods for ``S`` seconds. DaemonSet pods and finished pods are
left, as ``kubectl drain --ignore-daemonsets`` leaves them. A node marked by us and no longer to
drain (the update failed) is uncordoned.
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


def still_there(pod: dict[str, Any]) -> bool:
    """Whether a pod still holds its node: not finished (a leaving pod still counts)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


class Drainer:
    """Drains the nodes ``nodes.json`` marks, one update at a time; see the module docstring."""

    def __init__(self, client: Client, state_dir: Path, clock: Callable[[], float]) -> None:
        self.client = client
        self.state_dir = state_dir
        self.clock = clock
        #: update id -> {node name: when its drain began (None: not yet)}
        self.started: dict[str, dict[str, float | None]] = {}

    def verdict_path(self, update: str) -> Path:
        return self.state_dir / "drains" / f"{update}.json"

    def step(self, wanted: list[dict[str, Any]], nodes: dict[str, dict[str, Any]]) -> None:
        """One pass: cordon and evict for every update in progress; uncordon what is no longer
        to drain. ``wanted``: the entries of ``nodes.json``; ``nodes``: our registered nodes."""
        by_update: dict[str, list[tuple[str, float]]] = {}
        for cfg in wanted:
            drain = cfg.get("drain")
            if isinstance(drain, dict) and drain.get("update"):
                by_update.setdefault(str(drain["update"]), []).append(
                    (cfg["name"], float(drain.get("seconds") or 12.0))
                )
        draining = {name for entries in by_update.values() for name, _ in entries}
        for name, node in nodes.items():
            if name not in draining and DRAIN_ANNOTATION in (meta(node).get("annotations") or {}):
                self._cordon(name, None)
        for update, entries in by_update.items():
            if self.verdict_path(update).exists():
                continue
            self._drain(update, sorted(entries))
        self.started = {u: s for u, s in self.started.items() if u in by_update}

    def _drain(self, update: str, entries: list[tuple[str, float]]) -> None:
        started = self.started.setdefault(update, {})
        for name, seconds in entries:
            begun = started.get(name)
            if begun is None:
                begun = started[name] = self.clock()
                self._cordon(name, update)
                log.info("drain %s: cordoned node %s", update, name)
            pods = self._pods_on(name)
            blocked = [p for p in pods if still_there(p)]
            for pod in (p for p in pods if evictable(p)):
                self._evict(pod)
            if not blocked:
                log.info("drain %s: node %s drained", update, name)
                continue
            if self.clock() - begun > seconds:
                names = sorted(f"{meta(p).get('namespace')}/{meta(p).get('name')}" for p in blocked)
                log.warning("drain %s: node %s kept %s: the update fails", update, name, names)
                self._write(update, {"status": "Failed", "node": name, "pods": names})
            return  # one node at a time
        self._write(update, {"status": "Successful"})
        log.info("drain %s: every node drained", update)

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
        path = self.verdict_path(update)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(verdict))
        os.replace(tmp, path)
