"""Node group version updates as EKS rolls them out: new nodes join, old nodes are drained.

EKS updates a managed node group's version in phases ("Understand each phase of node updates",
Amazon EKS User Guide, https://docs.aws.amazon.com/eks/latest/userguide/managed-node-update-behavior.html):
it launches nodes of the new version, cordons the old ones and evicts their pods through the
Kubernetes eviction API, which honours PodDisruptionBudgets, then terminates them. When pods
cannot be evicted in time (a PDB allowing no disruption), the update fails with the error code
``PodEvictionFailure`` ("Reached max retries while trying to evict pods from nodes in node
group ...") unless ``force`` was given; the group keeps its version.

Locally, while the local Kubernetes runs, UpdateNodegroupVersion answers ``InProgress`` and
records a *rollout* on the node group: ``nodes.json`` then lists the group's old nodes, marked
``drain`` with the update's id and how many may be drained at once (:func:`parallel`, the
group's ``updateConfig``), and its new nodes (the next generation, named ``...-g<N>-<i>``,
reporting the new kubelet version). The kubelet simulator (:mod:`weft.local.kube.drain`) drains
the marked nodes with real evictions and writes its verdict to ``drains/<update id>.json``;
the next DescribeUpdate, DescribeNodegroup or ListUpdates reads it (:func:`settle`): the update
becomes ``Successful`` (the old nodes go) or ``Failed`` with ``PodEvictionFailure`` (the new
nodes go, the old ones are uncordoned, the version is unchanged). Without a local Kubernetes
there is nothing to drain and the update is ``Successful`` at once.

Pure but for :func:`verdict` (a file read) and the attributes it sets on moto's node group.
"""

from __future__ import annotations

import json
from typing import Any

from weft.local.moto_eks import local_kube

#: How long the simulator tries to evict a node's pods before the update fails (EKS tries for
#: 15 minutes; shortened as every local wait is).
DRAIN_SECONDS = 12.0


#: The AMI releases the local EKS offers for every Kubernetes version (patch and date), oldest
#: first: EKS publishes a new AMI release for each supported version every few weeks.
RELEASES = ("5-20250301", "7-20250505")


def release_versions(version: str) -> list[str]:
    """The AMI release versions of Kubernetes ``version``, oldest first."""
    return [f"{version}.{patch}" for patch in RELEASES]


def release_version(version: str) -> str:
    """The newest AMI release version of Kubernetes ``version``: what a node group gets when
    created or updated without naming one ("By default, the latest available AMI version for
    the node group's Kubernetes version is used", UpdateNodegroupVersion, EKS API Reference)."""
    return release_versions(version)[-1]


def release_problem(version: str, current: str | None, wanted: str) -> str | None:
    """Why EKS refuses to move a node group of Kubernetes ``version`` on release ``current``
    to release ``wanted``, or None. A release of another Kubernetes version: "Requested release
    version X is not valid for kubernetes version Y."; an unknown one, or one older than the
    group's (the API does not roll a group back): "Requested Nodegroup release version X is
    invalid. Allowed release version is NEWEST" (EKS's messages as its users report them)."""
    offered = release_versions(version)
    if not wanted.startswith(f"{version}."):
        return f"Requested release version {wanted} is not valid for kubernetes version {version}."
    allowed = offered[offered.index(current) :] if current in offered else offered[-1:]
    if wanted not in allowed:
        return (
            f"Requested Nodegroup release version {wanted} is invalid. Allowed release version "
            f"is {offered[-1]}"
        )
    return None


def kubelet_version(version: str) -> str:
    """What a node of Kubernetes ``version`` reports as its kubelet, as EKS's AMIs do."""
    return f"v{version}.0-eks-local"


def parallel(ng: Any) -> int:
    """How many of the group's nodes a rollout replaces at once: its ``updateConfig``
    maxUnavailable, or maxUnavailablePercentage of its desired size (rounded down, at least
    one), capped at EKS's quota of 100 ("Understand each phase of node updates", setup phase:
    "The maximum unavailable has a quota of 100 nodes. The default value is one node.")."""
    config = getattr(ng, "update_config", None) or {}
    if config.get("maxUnavailablePercentage"):
        size = int((getattr(ng, "scaling_config", None) or {}).get("desiredSize") or 0)
        found = size * int(config["maxUnavailablePercentage"]) // 100
    else:
        found = int(config.get("maxUnavailable") or 1)
    return min(100, max(1, found))


def generation(ng: Any) -> int:
    return int(getattr(ng, "weft_generation", 0) or 0)


def pending(ng: Any) -> dict[str, Any] | None:
    """The rollout in progress on a node group (``update``, ``version``), or None."""
    found: dict[str, Any] | None = getattr(ng, "weft_rollout", None)
    return found


def node_name(cluster: str, nodegroup: str, gen: int, index: int) -> str:
    """A node's name: ``CLUSTER-GROUP-i`` for the group's first nodes, ``CLUSTER-GROUP-gN-i``
    for those of its N-th replacement."""
    middle = f"-g{gen}" if gen else ""
    return f"{cluster}-{nodegroup}{middle}-{index}"[:253]


def generations(ng: Any) -> list[tuple[int, str, str | None]]:
    """(generation, Kubernetes version, update id draining it) of the nodes a group has now:
    its current nodes, and during a rollout those of the next generation too."""
    rollout = pending(ng)
    current = generation(ng)
    version = str(getattr(ng, "version", "") or "")
    if rollout is None:
        return [(current, version, None)]
    return [(current, version, str(rollout["update"])), (current + 1, rollout["version"], None)]


def start(ng: Any, update_id: str, version: str, release: str | None = None) -> bool:
    """Begin rolling ``ng`` onto ``version`` (AMI ``release``, the newest by default); False
    when there is nothing to drain (no local Kubernetes), the group then being moved at once."""
    release = release or release_version(version)
    if local_kube.recorded_api() is None:
        finish(ng, version, succeeded=True, release=release)
        return False
    ng.weft_rollout = {"update": update_id, "version": version, "release": release}
    ng.status = "UPDATING"
    return True


def finish(ng: Any, version: str, *, succeeded: bool, release: str | None = None) -> None:
    ng.weft_rollout = None
    ng.status = "ACTIVE"
    if succeeded:
        ng.weft_generation = generation(ng) + 1
        ng.version = version
        ng.release_version = release or release_version(version)


def verdict(update_id: str) -> dict[str, Any] | None:
    """The simulator's verdict on an update's drain, once written."""
    if local_kube.LOCAL_DIR is None:
        return None
    try:
        found = json.loads((local_kube.LOCAL_DIR / "drains" / f"{update_id}.json").read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def settle(cluster: Any, updates: dict[str, dict[str, Any]]) -> bool:
    """Apply the simulator's verdicts to the cluster's node groups and their updates; True when
    a node group changed (``nodes.json`` is then to be rewritten)."""
    changed = False
    for ng in cluster.nodegroups.values():
        rollout = pending(ng)
        if rollout is None:
            continue
        found = verdict(str(rollout["update"]))
        if found is None:
            continue
        update = updates.get(str(rollout["update"]))
        succeeded = found.get("status") == "Successful"
        finish(ng, str(rollout["version"]), succeeded=succeeded, release=rollout.get("release"))
        if update is not None:
            update["status"] = "Successful" if succeeded else "Failed"
            if not succeeded:
                update["errors"] = [
                    {
                        "errorCode": "PodEvictionFailure",
                        "errorMessage": (
                            "Reached max retries while trying to evict pods from nodes in node "
                            f"group {ng.nodegroup_name}"
                        ),
                        "resourceIds": [str(p) for p in found.get("pods") or []],
                    }
                ]
        changed = True
    return changed
