"""The local EKS's managed node groups and Fargate profiles, as AWS keeps them.

- A node group created without a version runs its cluster's Kubernetes version (moto: always
  1.19, with a 2021 release version).
- Each node group has its own health and scaling settings (moto hands every group the same
  default dicts, so updating one changes them all).
- UpdateNodegroupConfig's update is recorded on the cluster, so DescribeUpdate and ListUpdates
  find it (moto answers it and forgets it).
- Deleting a node group or a Fargate profile answers ``DELETING`` (moto: ``ACTIVE``).
- Node groups become nodes of the local Kubernetes: after each create, update or delete,
  ``nodes.json`` (:mod:`.local_kube`) holds ``desiredSize`` nodes per group, labelled and
  tainted as EKS labels and taints a managed node group's nodes (:func:`nodes_of`).
- A node group gets EKS's default AMI type, and CreateNodegroup refuses instance types of
  another architecture than its AMI type: :mod:`.ami_type`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from weft.local.moto_eks import ami_type, backend, local_kube

#: EKS's taint effects, as Kubernetes spells them.
EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


def nodes_of(nodegroups: Iterable[Any]) -> list[dict[str, Any]]:
    """The nodes the local kubelet simulator registers for these node groups: ``desiredSize``
    nodes each, labelled and tainted as EKS labels and taints a managed node group's nodes.

    Pure: reads only the node groups' attributes (``cluster_name``, ``nodegroup_name``,
    ``region``, ``status``, ``scaling_config``, ``capacity_type``, ``instance_types``,
    ``ami_type``, ``labels``, ``taints``), as moto's ``NodeGroup`` has them."""
    nodes = []
    for ng in sorted(nodegroups, key=lambda n: (n.cluster_name, n.nodegroup_name)):
        if getattr(ng, "status", "ACTIVE") == "DELETING":
            continue
        size = int((ng.scaling_config or {}).get("desiredSize") or 0)
        for i in range(size):
            zone = f"{ng.region}{'abc'[i % 3]}"
            labels = {
                "eks.amazonaws.com/nodegroup": ng.nodegroup_name,
                "eks.amazonaws.com/capacityType": ng.capacity_type or "ON_DEMAND",
                "node.kubernetes.io/instance-type": (ng.instance_types or ["m5.large"])[0],
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": ng.region,
                "weft.local/cluster": ng.cluster_name,
                **ami_type.arch_labels(ng),
                **{str(k): str(v) for k, v in (ng.labels or {}).items()},
            }
            taints = [
                {
                    "key": t["key"],
                    **({"value": t["value"]} if t.get("value") else {}),
                    "effect": EFFECTS.get(t.get("effect", ""), t.get("effect", "NoSchedule")),
                }
                for t in ng.taints or []
            ]
            name = f"{ng.cluster_name}-{ng.nodegroup_name}-{i + 1}"[:253]
            nodes.append({"name": name, "labels": labels, "taints": taints})
    return nodes


def write_nodes() -> None:
    """Keep ``nodes.json`` in step with every node group of the local EKS."""
    if local_kube.LOCAL_DIR is None:
        return
    from moto.eks.models import eks_backends

    groups = [
        ng
        for regions in eks_backends.values()
        for backend_ in regions.values()
        for cluster in backend_.clusters.values()
        for ng in cluster.nodegroups.values()
    ]
    local_kube.write_nodes(nodes_of(groups))


def _then_write_nodes(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        write_nodes()
        return result

    return wrapped


def apply() -> None:
    from moto.eks.models import EKSBackend

    original_create = EKSBackend.create_nodegroup
    original_update = EKSBackend.update_nodegroup_config
    original_delete = EKSBackend.delete_nodegroup
    original_delete_profile = EKSBackend.delete_fargate_profile

    def create_nodegroup(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs = ami_type.checked(self, kwargs)  # EKS's default AMI type, and its refusal
        cluster_name = kwargs.get("cluster_name", args[0] if args else None)
        given = kwargs.get("version")
        nodegroup = original_create(self, *args, **kwargs)
        if not given:
            version = self.clusters[cluster_name].version
            nodegroup.version = version
            nodegroup.release_version = f"{version}.7-20250505"
        # moto hands every group the same default dicts (an update would change them all)
        nodegroup.health = {"issues": []}
        nodegroup.scaling_config = dict(nodegroup.scaling_config)
        return nodegroup

    def update_nodegroup_config(
        self: Any, cluster_name: str, nodegroup_name: str, **kw: Any
    ) -> Any:
        update = original_update(self, cluster_name, nodegroup_name, **kw)
        update = backend.record_update(
            self.clusters[cluster_name],
            update["type"],
            update["params"],
            nodegroup=nodegroup_name,
            update_id=update["id"],
        )
        return update

    def delete_nodegroup(self: Any, cluster_name: str, nodegroup_name: str) -> Any:
        result = original_delete(self, cluster_name, nodegroup_name)
        result.status = "DELETING"
        return result

    def delete_fargate_profile(self: Any, cluster_name: str, fargate_profile_name: str) -> Any:
        result = original_delete_profile(self, cluster_name, fargate_profile_name)
        result.status = "DELETING"
        return result

    EKSBackend.create_nodegroup = _then_write_nodes(create_nodegroup)  # type: ignore[method-assign]
    EKSBackend.update_nodegroup_config = _then_write_nodes(update_nodegroup_config)  # type: ignore[method-assign]
    EKSBackend.delete_nodegroup = _then_write_nodes(delete_nodegroup)  # type: ignore[method-assign]
    EKSBackend.delete_fargate_profile = delete_fargate_profile  # type: ignore[method-assign]
    # An account reset (``POST /moto-api/reset``) leaves no node group: nor does nodes.json.
    EKSBackend.reset = _then_write_nodes(EKSBackend.reset)  # type: ignore[method-assign]
