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

and, for the kinds that live in a VPC, is in one of the fabric's VPCs. VPC endpoints that weft
did not make and GuardDuty's security group are swept for being in the fabric's VPC, untagged
(:mod:`.vpc_endpoint`). Left alone: anything
tagged for another fabric, and the cluster security group EKS makes (``aws:eks:cluster-name``)
while the cluster exists (EKS deletes it with the cluster).

One sweeper per AWS kind, each keeping the driver contract of :mod:`weft.aws.drivers.base` so the
inventory and the executor drive them like any driver: ``discover`` finds what can be deleted now
(an interface or volume still attached is not: it goes with what holds it); ``scan`` with
``everything=True`` finds all of it, for the leftover report. ``create`` and ``update`` refuse:
weft never makes these.
"""

from __future__ import annotations

from weft.aws.context import AwsContext
from weft.aws.sweep import (
    classic_load_balancer,
    load_balancer,
    network_interface,
    security_group,
    target_group,
    volume,
    vpc_endpoint,
)
from weft.aws.sweep.base import Sweeper, scan
from weft.aws.sweep.scope import (
    CLUSTER_TAG_PREFIX,
    CNI_CLUSTER_TAG,
    EKS_CLUSTER_TAG,
    ELBV2_CLUSTER_TAG,
    Scope,
)
from weft.core.resource import Observed


def sweepers(scope: Scope) -> dict[str, Sweeper]:
    """Every sweeper, by kind, for ``scope``."""
    found: list[Sweeper] = [
        load_balancer.LoadBalancerSweeper(scope),
        classic_load_balancer.ClassicLoadBalancerSweeper(scope),
        target_group.TargetGroupSweeper(scope),
        security_group.SecurityGroupSweeper(scope),
        network_interface.NetworkInterfaceSweeper(scope),
        volume.VolumeSweeper(scope),
        vpc_endpoint.VpcEndpointSweeper(scope),
        vpc_endpoint.GuardDutyGroupSweeper(scope),
    ]
    return {s.schema.kind: s for s in found}


def scan_everything(ctx: AwsContext, scope: Scope) -> list[Observed]:
    """What every sweeper claims, deletable now or not (the leftover report)."""
    return [
        obs
        for kind, sweeper in sweepers(scope).items()
        for obs in scan(sweeper, ctx, subject=f"{kind} resources")
    ]


__all__ = [
    "CLUSTER_TAG_PREFIX",
    "CNI_CLUSTER_TAG",
    "EKS_CLUSTER_TAG",
    "ELBV2_CLUSTER_TAG",
    "Scope",
    "Sweeper",
    "scan_everything",
    "sweepers",
]
