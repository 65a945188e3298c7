"""Cluster updates, which moto 5.2.5 lacks: UpdateClusterVersion, DescribeUpdate, ListUpdates.

- **UpdateClusterVersion** moves a cluster one minor version at a time, as AWS enforces
  (:func:`version_step_problem`), only while the cluster is ACTIVE, and never to a version past
  EKS extended support (:func:`.versions.refusal`, as CreateCluster).
- **DescribeUpdate** and **ListUpdates** find the updates recorded on the cluster (by these
  calls, UpdateClusterConfig, UpdateNodegroupConfig and UpdateAddon), those of the cluster
  itself unless a node group or an add-on is named.

Every update is ``Successful`` when made, as everything is at once in moto.
"""

from __future__ import annotations

from typing import Any

from weft.local.moto_eks import backend, versions
from weft.local.moto_eks import nodegroup as nodegroup_
from weft.local.moto_eks.catalogue import minor_of

PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/updates$",
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$",
)


def version_step_problem(have: str, want: str) -> str | None:
    """None when a cluster at Kubernetes ``have`` may be updated to ``want`` (the next minor
    version); else the message EKS refuses the update with."""
    current, wanted = minor_of(have), minor_of(want)
    if current is None or wanted is None or wanted != current + 1:
        return f"Unsupported Kubernetes minor version update from {have} to {want}"
    return None


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    def update_cluster_version(self: Any) -> Any:
        name = self._get_param("name")
        version = str(self._get_param("version") or "")
        cluster = backend.cluster(self.eks_backend, name)
        if cluster.status != "ACTIVE":
            raise backend.in_use(
                name, f"Cluster {name} is currently {cluster.status}: wait until it is ACTIVE"
            )
        problem = version_step_problem(cluster.version, version) or versions.refusal(
            version, versions.today()
        )
        if problem:
            raise backend.invalid(problem, cluster=name)
        cluster.version = version
        cluster.platformVersion = "eks.1"
        update = backend.record_update(
            cluster,
            "VersionUpdate",
            [
                {"type": "Version", "value": version},
                {"type": "PlatformVersion", "value": cluster.platformVersion},
            ],
        )
        return ActionResult({"update": update})

    def describe_update(self: Any) -> Any:
        name = self._get_param("name")
        update_id = self._get_param("updateId")
        nodegroup = self._get_param("nodegroupName")
        addon = self._get_param("addonName")
        cluster = backend.cluster(self.eks_backend, name)
        nodegroup_.settle(cluster)
        update = backend.updates_of(cluster).get(update_id)
        if update is None or not backend.concerns(update, nodegroup, addon):
            raise backend.not_found(
                f"No update found for ID: {update_id}",
                cluster=name,
                nodegroup=nodegroup,
                addon=addon,
            )
        return ActionResult({"update": backend.public(update)})

    def list_updates(self: Any) -> Any:
        name = self._get_param("name")
        nodegroup = self._get_param("nodegroupName")
        addon = self._get_param("addonName")
        cluster = backend.cluster(self.eks_backend, name)
        nodegroup_.settle(cluster)
        updates = backend.updates_of(cluster).values()
        ids = [
            u["id"]
            for u in sorted(updates, key=lambda u: u["createdAt"])
            if backend.concerns(u, nodegroup, addon)
        ]
        return ActionResult({"updateIds": ids})

    EKSResponse.update_cluster_version = update_cluster_version  # type: ignore[attr-defined]
    EKSResponse.describe_update = describe_update  # type: ignore[attr-defined]
    EKSResponse.list_updates = list_updates  # type: ignore[attr-defined]
