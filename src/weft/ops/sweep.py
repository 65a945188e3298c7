"""What the sweep claims for a fabric: its scope, and what it would delete now.

The sweep (:mod:`weft.aws.sweep`) finds by tag what others made for the fabric or its cluster;
``weft down`` deletes it, and the leftover report looks for it in any VPC. Its reads are retried
on temporary errors (:mod:`weft.ops.retrying`).
"""

from __future__ import annotations

from dataclasses import replace

from weft.aws.inventory import Inventory, discover
from weft.aws.sweep import Scope, sweepers
from weft.aws.sweep.base import cluster_exists
from weft.core.resource import Observed
from weft.ops import retrying
from weft.ops.target import Target


def sweep_scope(target: Target, inv: Inventory, *, any_vpc: bool = False) -> Scope:
    """The fabric's sweep scope: its VPCs, and its cluster when it has (or declares) one.

    The cluster is named after the fabric; its tags are the fabric's only when the fabric file
    declares a cluster or weft finds its own. ``any_vpc`` (the leftover report) looks beyond
    the fabric's VPCs, which a sweep never does.
    """
    has_cluster = target.fabric.cluster is not None or bool(inv.of_kind("eks_cluster"))
    cluster = target.name if has_cluster else None
    vpc_ids = None if any_vpc else frozenset(o.id for o in inv.of_kind("vpc"))
    return with_cluster_state(target, Scope(target.name, cluster, vpc_ids))


def with_cluster_state(target: Target, scope: Scope) -> Scope:
    """``scope``, saying whether its cluster still exists (read now)."""
    running = scope.cluster is not None and retrying.attempt(
        lambda: cluster_exists(target.context(), str(scope.cluster))
    )
    return replace(scope, cluster_running=running)


def swept(target: Target, scope: Scope) -> list[Observed]:
    """What the sweep would delete now (batched reads, every kind at once)."""
    found = retrying.attempt(lambda: discover(target.context(), sweepers(scope)))
    return list(found.by_address.values())
