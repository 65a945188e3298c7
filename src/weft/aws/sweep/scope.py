"""Which tags and VPCs are a fabric's, and the filters that find what carries those tags.

See :mod:`weft.aws.sweep` for the rule a sweep follows; the leftover report
(:mod:`weft.aws.remains`) uses the same scope, over any VPC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from weft.model.tags import FABRIC_TAG, ID_TAG

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


def tag_filters(scope: Scope) -> list[list[dict[str, Any]]]:
    """EC2 filters (one describe each) for what carries the fabric's or the cluster's tags."""
    filters: list[list[dict[str, Any]]] = [
        [{"Name": f"tag:{FABRIC_TAG}", "Values": [scope.fabric]}]
    ]
    if scope.cluster:
        filters.append([{"Name": "tag-key", "Values": [CLUSTER_TAG_PREFIX + scope.cluster]}])
        filters.append([{"Name": f"tag:{ELBV2_CLUSTER_TAG}", "Values": [scope.cluster]}])
    return filters


def tagging_filters(scope: Scope) -> list[list[dict[str, Any]]]:
    """Resource Groups Tagging API filters, one call each (its filters are ANDed)."""
    filters: list[list[dict[str, Any]]] = [[{"Key": FABRIC_TAG, "Values": [scope.fabric]}]]
    if scope.cluster:
        filters.append([{"Key": CLUSTER_TAG_PREFIX + scope.cluster}])
        filters.append([{"Key": ELBV2_CLUSTER_TAG, "Values": [scope.cluster]}])
    return filters
