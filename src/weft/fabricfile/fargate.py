"""The Fargate profiles of a fabric's cluster: which pods run on Fargate instead of nodes.

::

    fargate:
      - {name: system, selectors: [{namespace: kube-system}]}

That Fargate profiles need a cluster and private subnets is
:func:`weft.fabricfile.cross_check.cross_problems`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from weft.fabricfile.checks import MODEL_CONFIG, check_label, problem
from weft.fabricfile.cluster import MAX_COMPUTE_NAME_LENGTH
from weft.fabricfile.k8s_names import Labels, check_namespace

__all__ = ["MAX_SELECTORS", "FargateProfile", "FargateSelector"]

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
