"""The Fargate profiles of a fabric's cluster: which pods run on Fargate instead of nodes.

::

    fargate:
      - {name: system, selectors: [{namespace: kube-system}]}

That Fargate profiles need a cluster and private subnets is
:func:`weft.fabricfile.cross_check.cross_problems`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from weft.fabricfile.checks import MODEL_CONFIG, Path, check_label, problem
from weft.fabricfile.cluster import MAX_COMPUTE_NAME_LENGTH
from weft.fabricfile.k8s_names import Labels, check_namespace

__all__ = ["MAX_SELECTORS", "FargateProfile", "FargateSelector", "coredns_on_fargate_problems"]

#: The labels of coredns's pods (a selector with labels must be satisfied by them).
COREDNS_LABELS = {"k8s-app": "kube-dns"}

MAX_SELECTORS = 5


def _check_selectors(value: list[FargateSelector]) -> list[FargateSelector]:
    if not value:
        raise problem(
            (
                (),
                "an empty list is not allowed; a Fargate profile needs at least one selector, "
                "e.g. selectors: [{namespace: default}]",
            )
        )
    if len(value) > MAX_SELECTORS:
        raise problem(
            ((), f"{len(value)} selectors given; a Fargate profile allows at most {MAX_SELECTORS}")
        )
    return value


class FargateSelector(BaseModel):
    """Pods in ``namespace`` (and, if given, with all of ``labels``) run on Fargate."""

    model_config = MODEL_CONFIG

    namespace: Annotated[str, AfterValidator(check_namespace)]
    labels: Labels = Field(default_factory=dict)


class FargateProfile(BaseModel):
    """An EKS Fargate profile: which pods run on Fargate instead of nodes."""

    model_config = MODEL_CONFIG

    name: Annotated[
        str,
        AfterValidator(
            check_label(MAX_COMPUTE_NAME_LENGTH, "it becomes part of the profile's AWS name")
        ),
    ]
    selectors: Annotated[list[FargateSelector], AfterValidator(_check_selectors)]


def coredns_on_fargate_problems(
    addons: Iterable[str], has_nodegroups: bool, profiles: Sequence[FargateProfile]
) -> list[tuple[Path, str]]:
    """On a fabric whose only compute is Fargate, coredns runs on Fargate (weft configures its
    add-on so): a profile must select its pods (namespace kube-system, labels none or
    ``k8s-app: kube-dns``), or they wait for a node forever and the add-on stays DEGRADED."""
    if has_nodegroups or not profiles or "coredns" not in set(addons):
        return []
    for profile in profiles:
        for selector in profile.selectors:
            labels = dict(selector.labels)
            if selector.namespace == "kube-system" and labels.items() <= COREDNS_LABELS.items():
                return []
    return [
        (
            ("fargate",),
            "this fabric has no node groups, so coredns (a cluster add-on) must run on Fargate, "
            "and no Fargate profile selects its pods; add {namespace: kube-system} to a "
            "profile's selectors, add a node group, or leave coredns out of cluster.addons",
        )
    ]
