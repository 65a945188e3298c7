"""What others made for the fabric, found by tag and swept before the fabric's own teardown.

Kubernetes makes AWS resources weft never created: the AWS Load Balancer Controller (and the
in-tree cloud provider) makes load balancers, target groups and security groups; the VPC CNI
makes network interfaces; the EBS CSI driver makes volumes. When a cluster goes without its
Services and volumes being deleted first (or its API no longer answers), they stay behind, keep
billing, and block the deletion of the subnets, security groups and VPC they sit in (every tool
in this field has loops and hangs over them). weft finds them by the tags their makers put on
them, in the fabric's VPC, and deletes them with the same executor as the fabric, ordered by the
ids they refer to (a load balancer before its target groups and security groups, an interface
before its subnet, all of them before the network).

A resource is swept (:meth:`Scope.claim`) when it carries one of:

- ``weft:fabric = <fabric>`` without ``weft:id``: tagged for the fabric, but not weft's own
  (weft's own resources carry both, and the fabric teardown deletes them);
- ``kubernetes.io/cluster/<cluster>`` (any value), ``elbv2.k8s.aws/cluster = <cluster>`` or
  ``cluster.k8s.amazonaws.com/name = <cluster>``, when the fabric has the EKS cluster of that name
  (it is named after the fabric);

and, for the kinds that live in a VPC, is in one of the fabric's VPCs. Left alone: anything
tagged for another fabric, and the cluster security group EKS makes (``aws:eks:cluster-name``)
while the cluster exists (EKS deletes it with the cluster).

One sweeper per AWS kind, each keeping the driver contract of :mod:`weft.aws.drivers.base` so the
inventory and the executor drive them like any driver: ``discover`` finds what can be deleted now
(an interface or volume still attached is not: it goes with what holds it); ``scan`` with
``everything=True`` finds all of it, for the leftover report. ``create`` and ``update`` refuse:
weft never makes these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from weft.model.tags import FABRIC_TAG, ID_TAG

if TYPE_CHECKING:
    from collections.abc import Mapping

    from weft.aws.sweep.base import Sweeper

#: Tag keys by which Kubernetes components mark what they made for a cluster.
CLUSTER_TAG_PREFIX = "kubernetes.io/cluster/"
ELBV2_CLUSTER_TAG = "elbv2.k8s.aws/cluster"
CNI_CLUSTER_TAG = "cluster.k8s.amazonaws.com/name"
#: The tag EKS puts on the cluster security group it makes (and deletes with the cluster).
EKS_CLUSTER_TAG = "aws:eks:cluster-name"


@dataclass(frozen=True)
class Scope:
    """Which tags and VPCs are the fabric's.

    ``cluster``: the EKS cluster whose tags are the fabric's (None when the fabric has none).
    ``vpc_ids``: the fabric's VPCs; None means any VPC (the leftover report only: a sweep never
    deletes outside the fabric's VPCs). ``cluster_running``: the cluster still exists.
    """

    fabric: str
    cluster: str | None
    vpc_ids: frozenset[str] | None
    cluster_running: bool = False

    def in_vpc(self, vpc_id: str | None) -> bool:
        return self.vpc_ids is None or (vpc_id is not None and vpc_id in self.vpc_ids)

    def claim(self, tags: Mapping[str, str]) -> str | None:
        """Why a resource with these tags (``aws:`` ones included) is the fabric's to sweep."""
        owner = tags.get(FABRIC_TAG)
        if owner is not None:
            if owner != self.fabric or ID_TAG in tags:
                return None  # another fabric's, or weft's own (the fabric teardown has it)
            return f"tagged {FABRIC_TAG}={self.fabric}"
        cluster = self.cluster
        if not cluster:
            return None
        if CLUSTER_TAG_PREFIX + cluster in tags:
            return f"tagged {CLUSTER_TAG_PREFIX}{cluster}"
        for key in (ELBV2_CLUSTER_TAG, CNI_CLUSTER_TAG):
            if tags.get(key) == cluster:
                return f"tagged {key}={cluster}"
        return None


def sweepers(scope: Scope) -> dict[str, Sweeper]:
    """Every sweeper, by kind, for ``scope``."""
    from weft.aws.sweep import (
        classic_load_balancer,
        load_balancer,
        network_interface,
        security_group,
        target_group,
        volume,
    )

    found: list[Sweeper] = [
        load_balancer.LoadBalancerSweeper(scope),
        classic_load_balancer.ClassicLoadBalancerSweeper(scope),
        target_group.TargetGroupSweeper(scope),
        security_group.SecurityGroupSweeper(scope),
        network_interface.NetworkInterfaceSweeper(scope),
        volume.VolumeSweeper(scope),
    ]
    return {s.schema.kind: s for s in found}


__all__ = ["Scope", "sweepers"]
