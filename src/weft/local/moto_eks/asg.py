"""Each managed node group's Auto Scaling group, as EKS makes and keeps it.

On AWS a managed node group *is* an EC2 Auto Scaling group that EKS creates and owns ("Managed
node groups", Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html): DescribeNodegroup
names it in ``resources.autoScalingGroups``, and it is tagged so that the Cluster Autoscaler
discovers it with no configuration ("Managed node groups … are tagged for auto-discovery by the
Kubernetes Cluster Autoscaler"; the tags are ``k8s.io/cluster-autoscaler/enabled`` and
``k8s.io/cluster-autoscaler/<cluster>``, the ones the autoscaler's ``--node-group-auto-discovery``
names in the Cluster Autoscaler's AWS FAQ). moto 5.2.5 only names an ``eks-<uuid>`` group that
does not exist. Here:

- CreateNodegroup creates the group in the local Auto Scaling (named
  ``eks-<node group>-<uuid>``, as EKS names it, in the node group's subnets), with the node
  group's min/max/desired and the tags ``eks:cluster-name``, ``eks:nodegroup-name``,
  ``k8s.io/cluster-autoscaler/enabled: true``, ``k8s.io/cluster-autoscaler/<cluster>: owned``
  and ``kubernetes.io/cluster/<cluster>: owned``; its instances are the node group's nodes (the
  EC2 instances of :mod:`.instances`).
- UpdateNodegroupConfig's ``scalingConfig`` sets the group's min, max and desired capacity.
- SetDesiredCapacity on the group (what the Cluster Autoscaler calls) moves the node group's
  ``desiredSize`` with it, as EKS reconciles its node group with the Auto Scaling group
  ("Cluster Autoscaler" in the EKS Best Practices Guide: the autoscaler changes the group's
  desired capacity; the node group reports it), and so the local nodes (``nodes.json``). AWS
  refuses a desired capacity outside the group's bounds ("SetDesiredCapacity", Amazon EC2 Auto
  Scaling API Reference: ``ValidationError`` "New SetDesiredCapacity value N is above max value
  M for the AutoScalingGroup." / "below min value"); moto does not, and here every group does.
- DeleteNodegroup deletes the group (its instances go with the node group's nodes).

Scale-in of one chosen instance (TerminateInstanceInAutoScalingGroup) keeps moto's behaviour: the
local node group's nodes are numbered, so a lower desired capacity removes its last nodes.
"""

from __future__ import annotations

import uuid
from typing import Any

#: The tags the Cluster Autoscaler discovers a group by (the second with the cluster's name).
ENABLED_TAG = "k8s.io/cluster-autoscaler/enabled"
CLUSTER_TAG_PREFIX = "k8s.io/cluster-autoscaler/"


def group_tags(cluster: str, nodegroup: str) -> dict[str, str]:
    """The tags EKS puts on a managed node group's Auto Scaling group."""
    return {
        "eks:cluster-name": cluster,
        "eks:nodegroup-name": nodegroup,
        ENABLED_TAG: "true",
        f"{CLUSTER_TAG_PREFIX}{cluster}": "owned",
        f"kubernetes.io/cluster/{cluster}": "owned",
    }


def bounds_problem(desired: int, min_size: int | None, max_size: int | None) -> str | None:
    """Auto Scaling's refusal of a desired capacity outside the group's bounds, or None."""
    if max_size is not None and desired > max_size:
        return (
            f"New SetDesiredCapacity value {desired} is above max value {max_size} for the "
            "AutoScalingGroup."
        )
    if min_size is not None and desired < min_size:
        return (
            f"New SetDesiredCapacity value {desired} is below min value {min_size} for the "
            "AutoScalingGroup."
        )
    return None


def _autoscaling(account: str, region: str) -> Any:
    from moto.autoscaling.models import autoscaling_backends

    return autoscaling_backends[account][region]


def _account(cluster: Any) -> str:
    return str(cluster.arn).split(":")[4]


def _group_name(ng: Any) -> str | None:
    groups = (getattr(ng, "resources", None) or {}).get("autoScalingGroups") or []
    return str(groups[0]["name"]) if groups else None


def group_of(ng: Any, cluster: Any) -> Any | None:
    """The node group's Auto Scaling group in the local Auto Scaling, or None."""
    name = _group_name(ng)
    if name is None:
        return None
    return _autoscaling(_account(cluster), ng.region).autoscaling_groups.get(name)


def _node_group_class() -> type:
    from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState

    class NodeGroupAutoScalingGroup(FakeAutoScalingGroup):
        """An Auto Scaling group whose capacity is its node group's, and whose instances are
        that node group's nodes."""

        weft_ng: Any
        weft_cluster: Any

        def set_desired_capacity(self, new_capacity: int | None) -> None:
            self.desired_capacity = self.min_size if new_capacity is None else new_capacity
            ng = getattr(self, "weft_ng", None)
            if ng is None:  # while the group is made: the node group already has its size
                return
            if ng.scaling_config.get("desiredSize") != self.desired_capacity:
                ng.scaling_config = {**ng.scaling_config, "desiredSize": self.desired_capacity}
                from weft.local.moto_eks import nodegroup

                nodegroup.write_nodes()

        @property
        def instance_states(self) -> list[Any]:
            ng = getattr(self, "weft_ng", None)
            if ng is None:
                return []
            found = []
            for reservation in self.ec2_backend.reservations.values():
                for instance in reservation.instances:
                    tags = self.ec2_backend.tags.get(instance.id, {})
                    if (
                        getattr(instance, "state", "") in ("pending", "running")
                        and tags.get("eks:cluster-name") == ng.cluster_name
                        and tags.get("eks:nodegroup-name") == ng.nodegroup_name
                    ):
                        instance.autoscaling_group = self  # type: ignore[attr-defined]
                        found.append(InstanceState(instance))
            return found

        @instance_states.setter
        def instance_states(self, value: list[Any]) -> None:
            pass  # the node group's nodes decide

    return NodeGroupAutoScalingGroup


_CLASS: list[type] = []


def create_group(ng: Any, cluster: Any) -> Any:
    """Create ``ng``'s Auto Scaling group (see the module docstring) and name it on ``ng``."""
    if not _CLASS:
        _CLASS.append(_node_group_class())
    account = _account(cluster)
    autoscaling = _autoscaling(account, ng.region)
    name = f"eks-{ng.nodegroup_name}-{uuid.uuid4()}"
    zones = []
    subnets = []
    for subnet_id in ng.subnets or []:
        try:
            zones.append(autoscaling.ec2_backend.get_subnet(subnet_id).availability_zone)
            subnets.append(subnet_id)
        except Exception:
            continue
    scaling = ng.scaling_config or {}
    tags = [
        {"Key": k, "Value": v, "PropagateAtLaunch": True}
        for k, v in group_tags(cluster.name, ng.nodegroup_name).items()
    ]
    group = _CLASS[0](
        name=name,
        availability_zones=[] if subnets else [f"{ng.region}a"],
        desired_capacity=scaling.get("desiredSize"),
        max_size=scaling.get("maxSize"),
        min_size=scaling.get("minSize"),
        launch_config_name=None,
        launch_template=None,
        vpc_zone_identifier=",".join(subnets) or None,
        default_cooldown=None,
        health_check_period=15,
        health_check_type="EC2",
        load_balancers=[],
        target_group_arns=[],
        placement_group=None,
        termination_policies=["AllocationStrategy", "OldestLaunchTemplate", "OldestInstance"],
        autoscaling_backend=autoscaling,
        ec2_backend=autoscaling.ec2_backend,
        tags=tags,
        mixed_instances_policy=None,
        capacity_rebalance=False,
    )
    group.weft_cluster = cluster
    group.weft_ng = ng
    autoscaling.autoscaling_groups[name] = group
    ng.resources = {**(ng.resources or {}), "autoScalingGroups": [{"name": name}]}
    return group


def apply() -> None:
    from moto.autoscaling.exceptions import ValidationError
    from moto.autoscaling.models import AutoScalingBackend
    from moto.eks.models import EKSBackend

    original_create = EKSBackend.create_nodegroup
    original_update = EKSBackend.update_nodegroup_config
    original_delete = EKSBackend.delete_nodegroup
    original_set = AutoScalingBackend.set_desired_capacity

    def create_nodegroup(self: Any, *args: Any, **kwargs: Any) -> Any:
        ng = original_create(self, *args, **kwargs)
        create_group(ng, self.clusters[ng.cluster_name])
        return ng

    def update_nodegroup_config(
        self: Any, cluster_name: str, nodegroup_name: str, **kw: Any
    ) -> Any:
        result = original_update(self, cluster_name, nodegroup_name, **kw)
        cluster = self.clusters.get(cluster_name)
        ng = cluster.nodegroups.get(nodegroup_name) if cluster else None
        group = group_of(ng, cluster) if ng is not None else None
        if ng is not None and group is not None:
            scaling = ng.scaling_config or {}
            group.min_size = scaling.get("minSize", group.min_size)
            group.max_size = scaling.get("maxSize", group.max_size)
            group.desired_capacity = scaling.get("desiredSize", group.desired_capacity)
        return result

    def delete_nodegroup(self: Any, cluster_name: str, nodegroup_name: str) -> Any:
        cluster = self.clusters.get(cluster_name)
        ng = cluster.nodegroups.get(nodegroup_name) if cluster else None
        group = group_of(ng, cluster) if ng is not None else None
        result = original_delete(self, cluster_name, nodegroup_name)
        if group is not None:
            group.autoscaling_backend.autoscaling_groups.pop(group.name, None)
        return result

    def set_desired_capacity(self: Any, group_name: str, desired_capacity: int | None) -> None:
        group = self.autoscaling_groups.get(group_name)
        if group is None:
            raise ValidationError(
                f"AutoScalingGroup name not found - AutoScalingGroup '{group_name}' not found"
            )
        if desired_capacity is not None:
            problem = bounds_problem(desired_capacity, group.min_size, group.max_size)
            if problem:
                raise ValidationError(problem)
        original_set(self, group_name, desired_capacity)

    EKSBackend.create_nodegroup = create_nodegroup  # type: ignore[method-assign]
    EKSBackend.update_nodegroup_config = update_nodegroup_config  # type: ignore[method-assign,assignment]
    EKSBackend.delete_nodegroup = delete_nodegroup  # type: ignore[method-assign]
    AutoScalingBackend.set_desired_capacity = set_desired_capacity  # type: ignore[method-assign]
