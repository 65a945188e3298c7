"""The local EKS's managed node groups and Fargate profiles, as AWS keeps them.

- A node group created without a version runs its cluster's Kubernetes version (moto: always
  1.19, with a 2021 release version).
- A node group keeps the ``updateConfig`` it was created with (EKS's default: one node at a
  time); moto drops it.
- Each node group has its own health and scaling settings (moto hands every group the same
  default dicts, so updating one changes them all).
- UpdateNodegroupConfig's update is recorded on the cluster, so DescribeUpdate and ListUpdates
  find it (moto answers it and forgets it).
- **Launch templates**, as EKS takes them (:mod:`.launch_template`): the template must exist
  (moto ignores an unknown one) and hold none of the settings EKS prohibits; the group records
  the version it runs (the template's default when none is named) and has no disk size of its
  own (moto reports its default 20 GiB). **UpdateNodegroupVersion** (which moto lacks) moves a
  group to another version of the same template, refused for a group made without a template
  ("existing node groups that don't use a custom launch template can't be updated directly")
  or naming another template; the update is recorded like the others. Without a template it
  replaces the group's nodes: with ``version`` (the cluster's), or without one on the group's
  own version, on ``releaseVersion`` (by default the newest AMI release of that version, even
  the one the group runs: fresh nodes), refusing a release of another Kubernetes version, an
  unknown one or one older than the group's (:func:`.rollout.release_problem`).
- Deleting a node group or a Fargate profile answers ``DELETING`` (moto: ``ACTIVE``).
- Node groups become nodes of the local Kubernetes: after each create, update or delete,
  ``nodes.json`` (:mod:`.local_kube`) holds ``desiredSize`` nodes per group, labelled and
  tainted as EKS labels and taints a managed node group's nodes (:func:`nodes_of`).
- A node group gets EKS's default AMI type, and CreateNodegroup refuses instance types of
  another architecture than its AMI type: :mod:`.ami_type`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from weft.local.moto_eks import (
    ami_type,
    backend,
    instances,
    launch_template,
    local_kube,
    rollout,
)
from weft.local.moto_eks.catalogue import minor_of

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
    ``ami_type``, ``labels``, ``taints``, ``version``), as moto's ``NodeGroup`` has them, and
    the rollout in progress (:mod:`.rollout`): during one, the old nodes (marked ``drain``) and
    the new ones. Each node reports its group's kubelet version (``kubelet_version``)."""
    nodes = []
    for ng in sorted(nodegroups, key=lambda n: (n.cluster_name, n.nodegroup_name)):
        if getattr(ng, "status", "ACTIVE") == "DELETING":
            continue
        size = int((ng.scaling_config or {}).get("desiredSize") or 0)
        for (gen, version, draining), i in itertools.product(rollout.generations(ng), range(size)):
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
            name = rollout.node_name(ng.cluster_name, ng.nodegroup_name, gen, i + 1)
            node: dict[str, Any] = {"name": name, "labels": labels, "taints": taints}
            if minor_of(version) is not None:
                node["kubelet_version"] = rollout.kubelet_version(version)
            if draining:
                node["drain"] = {
                    "update": draining,
                    "seconds": rollout.DRAIN_SECONDS,
                    "parallel": rollout.parallel(ng),
                }
            nodes.append(node)
    return nodes


def write_nodes() -> None:
    """Keep ``nodes.json`` in step with every node group of the local EKS, each node an EC2
    instance with its address, its pods' addresses and its security groups
    (:mod:`.instances`)."""
    if local_kube.LOCAL_DIR is None:
        return
    from moto.eks.models import eks_backends

    groups = [
        (ng, cluster)
        for regions in eks_backends.values()
        for backend_ in regions.values()
        for cluster in backend_.clusters.values()
        for ng in cluster.nodegroups.values()
    ]
    nodes = nodes_of(ng for ng, _ in groups)
    instances.place(nodes, groups)
    local_kube.write_nodes(nodes)


def settle(cluster: Any) -> None:
    """Bring the cluster's node group rollouts up to date with the simulator's drains
    (:func:`.rollout.settle`), rewriting ``nodes.json`` when one ended."""
    if rollout.settle(cluster, backend.updates_of(cluster)):
        write_nodes()


def _then_write_nodes(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        write_nodes()
        return result

    return wrapped


#: The route of UpdateNodegroupVersion (moto has none).
PATHS = ("{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$",)


def _template_of(
    account_id: str, region: str, spec: dict[str, Any], nodegroup: str, cluster: str
) -> tuple[Any, Any]:
    """The EC2 launch template a node group's ``launchTemplate`` names (by id or name) and the
    version it names (the template's default when none); EKS's InvalidParameterException when
    there is no such template or version."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    wanted = spec.get("id") or spec.get("name")
    try:
        template = (
            ec2.get_launch_template(spec["id"])
            if spec.get("id")
            else ec2.get_launch_template_by_name(spec.get("name") or "")
        )
        version = template.get_version(spec.get("version") or "$Default")
    except Exception:
        raise backend.invalid(
            f"The launch template {wanted} (version {spec.get('version') or '$Default'}) does "
            "not exist.",
            cluster=cluster,
            nodegroup=nodegroup,
        ) from None
    return template, version


def _check_template(
    account_id: str,
    region: str,
    spec: dict[str, Any],
    instance_types: list[str] | None,
    *,
    nodegroup: str,
    cluster: str,
) -> dict[str, str]:
    """The node group's ``launchTemplate`` as EKS records it (id, name, version), once the
    template passed EKS's rules."""
    template, version = _template_of(account_id, region, spec, nodegroup, cluster)
    problem = launch_template.template_problem(version.data, instance_types, template.id)
    if problem:
        raise backend.invalid(problem, cluster=cluster, nodegroup=nodegroup)
    return {"name": template.name, "version": str(version.number), "id": template.id}


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.models import EKSBackend
    from moto.eks.responses import EKSResponse

    original_create = EKSBackend.create_nodegroup
    original_update = EKSBackend.update_nodegroup_config
    original_delete = EKSBackend.delete_nodegroup
    original_delete_profile = EKSBackend.delete_fargate_profile
    original_describe = EKSBackend.describe_nodegroup

    def describe_nodegroup(self: Any, cluster_name: str, nodegroup_name: str) -> Any:
        if cluster_name in self.clusters:
            settle(self.clusters[cluster_name])
        return original_describe(self, cluster_name, nodegroup_name)

    def create_nodegroup(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs = ami_type.checked(self, kwargs)  # EKS's default AMI type, and its refusal
        cluster_name = kwargs.get("cluster_name", args[0] if args else None)
        given = kwargs.get("version")
        spec = kwargs.get("launch_template")
        recorded = None
        if spec and cluster_name in self.clusters and not kwargs.get("disk_size"):
            recorded = _check_template(
                self.account_id,
                self.region_name,
                dict(spec),
                kwargs.get("instance_types"),
                nodegroup=str(kwargs.get("nodegroup_name", "")),
                cluster=str(cluster_name),
            )
        nodegroup = original_create(self, *args, **kwargs)
        # the instance types as asked (moto fills its default in)
        nodegroup.weft_instance_types = kwargs.get("instance_types")  # type: ignore[attr-defined]
        if recorded is not None:
            nodegroup.launch_template = recorded
            nodegroup.disk_size = None  # type: ignore[assignment]  # the template's, not the group's
        if not given:
            version = self.clusters[cluster_name].version
            nodegroup.version = version
            nodegroup.release_version = rollout.release_version(version)
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

    def update_nodegroup_version(self: Any) -> Any:
        name = self._get_param("name")
        nodegroup_name = self._get_param("nodegroupName")
        spec = self._get_param("launchTemplate")
        version = self._get_param("version")
        release = self._get_param("releaseVersion")
        cluster = backend.cluster(self.eks_backend, name)
        nodegroup = cluster.nodegroups.get(nodegroup_name)
        if nodegroup is None:
            raise backend.not_found(
                f"No node group found for name: {nodegroup_name}.",
                cluster=name,
                nodegroup=nodegroup_name,
            )
        if rollout.pending(nodegroup) is not None:
            raise backend.in_use(
                name,
                f"Nodegroup {nodegroup_name} is currently being updated: wait for the update in "
                "progress to finish.",
            )
        params: list[dict[str, str]] = []
        if spec:
            current = nodegroup.launch_template or {}
            if not current.get("id"):
                raise backend.invalid(
                    f"Node group {nodegroup_name} was not created with a launch template: it "
                    "cannot be updated to use one; create a new node group instead.",
                    cluster=name,
                    nodegroup=nodegroup_name,
                )
            named = spec.get("id") or spec.get("name")
            if named not in (current.get("id"), current.get("name")):
                raise backend.invalid(
                    f"Node group {nodegroup_name} uses launch template {current.get('id')}: "
                    f"it can only be updated to another version of it, not to {named}.",
                    cluster=name,
                    nodegroup=nodegroup_name,
                )
            nodegroup.launch_template = _check_template(
                self.current_account,
                self.region,
                {"id": current["id"], "version": spec.get("version")},
                getattr(nodegroup, "weft_instance_types", None),
                nodegroup=nodegroup_name,
                cluster=name,
            )
            params += [
                {"type": "LaunchTemplateName", "value": nodegroup.launch_template["name"]},
                {"type": "LaunchTemplateVersion", "value": nodegroup.launch_template["version"]},
            ]
        if version and (minor_of(version) is None or version != cluster.version):
            raise backend.invalid(
                f"Requested Kubernetes version {version} is not the cluster's "
                f"({cluster.version}): a node group runs its cluster's version or an "
                "older one, and is updated to the cluster's.",
                cluster=name,
                nodegroup=nodegroup_name,
            )
        if version or not spec:
            # the group's nodes replaced by nodes of ``version`` (its own by default) on
            # ``releaseVersion`` (the newest AMI release of that version by default)
            version = version or str(nodegroup.version)
            release = release or rollout.release_version(version)
            current = getattr(nodegroup, "release_version", None)
            problem = rollout.release_problem(
                version, current if version == nodegroup.version else None, release
            )
            if problem:
                raise backend.invalid(problem, cluster=name, nodegroup=nodegroup_name)
            params.append({"type": "Version", "value": version})
            params.append({"type": "ReleaseVersion", "value": release})
        if not params:
            raise backend.invalid(
                "No changes needed for the provided node group version.",
                cluster=name,
                nodegroup=nodegroup_name,
            )
        update = backend.record_update(cluster, "VersionUpdate", params, nodegroup=nodegroup_name)
        if version and rollout.start(nodegroup, update["id"], version, release):
            update["status"] = "InProgress"
            backend.updates_of(cluster)[update["id"]]["status"] = "InProgress"
        write_nodes()
        return ActionResult({"update": update})

    def delete_nodegroup(self: Any, cluster_name: str, nodegroup_name: str) -> Any:
        result = original_delete(self, cluster_name, nodegroup_name)
        result.status = "DELETING"
        return result

    def delete_fargate_profile(self: Any, cluster_name: str, fargate_profile_name: str) -> Any:
        result = original_delete_profile(self, cluster_name, fargate_profile_name)
        result.status = "DELETING"
        return result

    original_create_response = EKSResponse.create_nodegroup

    def create_nodegroup_response(self: Any) -> Any:
        # moto drops the request's updateConfig: EKS keeps it (default: one node at a time)
        result = original_create_response(self)
        group = self.eks_backend.clusters[self._get_param("name")].nodegroups[
            self._get_param("nodegroupName")
        ]
        group.update_config = dict(self._get_param("updateConfig") or {"maxUnavailable": 1})
        return result

    EKSResponse.create_nodegroup = create_nodegroup_response  # type: ignore[method-assign]
    EKSBackend.create_nodegroup = _then_write_nodes(create_nodegroup)  # type: ignore[method-assign]
    EKSBackend.update_nodegroup_config = _then_write_nodes(update_nodegroup_config)  # type: ignore[method-assign]
    EKSBackend.delete_nodegroup = _then_write_nodes(delete_nodegroup)  # type: ignore[method-assign]
    EKSBackend.delete_fargate_profile = delete_fargate_profile  # type: ignore[method-assign]
    EKSBackend.describe_nodegroup = describe_nodegroup  # type: ignore[method-assign]
    EKSResponse.update_nodegroup_version = update_nodegroup_version  # type: ignore[attr-defined]
    # An account reset (``POST /moto-api/reset``) leaves no node group: nor does nodes.json.
    EKSBackend.reset = _then_write_nodes(EKSBackend.reset)  # type: ignore[method-assign]
