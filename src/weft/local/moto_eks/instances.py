"""The nodes of managed node groups as EC2 instances, as EKS's Auto Scaling group launches them.

A managed node group's nodes are EC2 instances in the group's subnets. What matters for what
they can reach is their security groups, which EKS sets as the User Guide says
("Customizing managed nodes with launch templates",
https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html): the launch template's
when it names any, else the cluster security group alone
(:func:`weft.local.moto_eks.launch_template.node_security_groups`). Here each node that
``nodes.json`` lists is such an instance in the local EC2 (RunInstances inside moto):

- in one of the group's subnets (round robin, as the Auto Scaling group balances zones), with
  those security groups and the tags EKS puts on its nodes (``eks:cluster-name``,
  ``eks:nodegroup-name``, ``kubernetes.io/cluster/NAME: owned``);
- its primary network interface holds :data:`WARM_IPS` secondary addresses, as the VPC CNI keeps
  warm for pods (``WARM_IP_TARGET``): pods take their addresses from those, and on AWS a pod's
  address so leads to the interface and its security groups (what the reachability check of
  ``weft verify`` reads);
- a node whose group went, shrank, or moved to a template version with other security groups is
  terminated (a replacement is launched: EKS recycles the nodes onto a new version).

Each node's entry in ``nodes.json`` then carries ``ip``, ``pod_ips``, ``provider_id``
(``aws:///ZONE/INSTANCE``, as the kubelet registers it) and ``security_groups``, which the kubelet
simulator uses.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from weft.local.moto_eks import launch_template

log = logging.getLogger("weft.local.moto_eks.instances")

#: Secondary addresses on each node's interface for its pods.
WARM_IPS = 8
#: The image of the simulated nodes (moto does not check images unless told to).
NODE_IMAGE = "ami-0eks0local0node0"

#: node name → (account, region, instance id, security groups) of the instance launched for it.
_LAUNCHED: dict[str, tuple[str, str, str, tuple[str, ...]]] = {}
#: One placement at a time: the moto server answers requests on several threads (two node
#: groups created at once), and two placements would each launch an instance for the same new
#: node, one of them never terminated.
_PLACING = threading.Lock()


def _ec2(account: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def _alive(account: str, region: str, instance_id: str) -> Any | None:
    try:
        instance = _ec2(account, region).get_instance_by_id(instance_id)
    except Exception:
        return None
    if instance is None or getattr(instance, "state", "") in ("terminated", "shutting-down"):
        return None
    return instance


def _terminate(account: str, region: str, instance_id: str) -> None:
    if _alive(account, region, instance_id) is not None:
        _ec2(account, region).terminate_instances([instance_id])


def _account(cluster: Any) -> str:
    """The account of a cluster (moto keeps it only in the ARN)."""
    return str(cluster.arn).split(":")[4]


def node_groups(ng: Any, cluster: Any) -> list[str]:
    """The security groups of ``ng``'s nodes: its launch template's, else the cluster's."""
    cluster_group = (getattr(cluster, "resources_vpc_config", None) or {}).get(
        "clusterSecurityGroupId"
    )
    spec = getattr(ng, "launch_template", None) or {}
    data = None
    if spec.get("id"):
        try:
            template = _ec2(_account(cluster), ng.region).get_launch_template(spec["id"])
            data = template.get_version(spec.get("version") or "$Default").data
        except Exception:
            data = None
    return launch_template.node_security_groups(data, cluster_group)


def _launch(
    account: str, region: str, node: dict[str, Any], subnet: str, groups: list[str], ng: Any
) -> Any:
    ec2 = _ec2(account, region)
    zone = ec2.get_subnet(subnet).availability_zone
    cluster = ng.cluster_name
    reservation = ec2.run_instances(
        NODE_IMAGE,
        1,
        None,
        [],
        instance_type=(ng.instance_types or ["m5.large"])[0],
        is_instance_type_default=False,
        subnet_id=subnet,
        security_group_ids=list(groups),
        placement=zone,
        region_name=region,
        tags={
            "instance": {
                "Name": node["name"],
                "eks:cluster-name": cluster,
                "eks:nodegroup-name": ng.nodegroup_name,
                f"kubernetes.io/cluster/{cluster}": "owned",
            }
        },
    )
    instance = reservation.instances[0]
    interface = next(iter(instance.nics.values()))
    # AWS deletes an instance's primary interface with it (moto 5.2.5 keeps it, so the subnet
    # and the security groups would stay in use after the node group is gone)
    interface.delete_on_termination = True
    ec2.assign_private_ip_addresses(interface.id, secondary_ips_count=WARM_IPS)
    return instance


def _describe(instance: Any, groups: list[str]) -> dict[str, Any]:
    interface = next(iter(instance.nics.values()))
    addresses = [a["PrivateIpAddress"] for a in interface.private_ip_addresses]
    return {
        "ip": instance.private_ip,
        "pod_ips": [a for a in addresses if a != instance.private_ip],
        "provider_id": f"aws:///{instance.placement.zone}/{instance.id}",
        "instance_id": instance.id,
        "security_groups": list(groups),
    }


def place(nodes: list[dict[str, Any]], groups: Iterable[tuple[Any, Any]]) -> None:
    """Give each of ``nodes`` (entries of ``nodes.json``) its instance, launching what is missing
    and terminating what no node needs; ``groups``: (node group, its cluster) pairs."""
    with _PLACING:
        _place(nodes, groups)


def _place(nodes: list[dict[str, Any]], groups: Iterable[tuple[Any, Any]]) -> None:
    by_group: dict[tuple[str, str], tuple[Any, Any]] = {
        (cluster.name, ng.nodegroup_name): (ng, cluster) for ng, cluster in groups
    }
    wanted: set[str] = set()
    counters: dict[tuple[str, str], int] = {}
    for node in nodes:
        labels = node.get("labels") or {}
        found = by_group.get(
            (labels.get("weft.local/cluster", ""), labels.get("eks.amazonaws.com/nodegroup", ""))
        )
        if found is None:
            continue
        ng, cluster = found
        subnets = list(ng.subnets or [])
        if not subnets:
            continue
        account, region = _account(cluster), ng.region
        security = node_groups(ng, cluster)
        index = counters.get((cluster.name, ng.nodegroup_name), 0)
        counters[(cluster.name, ng.nodegroup_name)] = index + 1
        name = node["name"]
        wanted.add(name)
        known = _LAUNCHED.get(name)
        instance = None
        if known is not None:
            instance = _alive(known[0], known[1], known[2])
            if instance is not None and known[3] != tuple(security):
                _terminate(known[0], known[1], known[2])  # recycled onto the new groups
                instance = None
        if instance is None:
            subnet = subnets[index % len(subnets)]
            try:
                instance = _launch(account, region, node, subnet, security, ng)
            except Exception as exc:  # a subnet or group already gone: no instance, no address
                log.warning("node %s: no instance launched in %s: %s", name, subnet, exc)
                continue
            _LAUNCHED[name] = (account, region, instance.id, tuple(security))
        node.update(_describe(instance, security))
    for name in list(_LAUNCHED):
        if name not in wanted:
            account, region, instance_id, _ = _LAUNCHED.pop(name)
            _terminate(account, region, instance_id)
