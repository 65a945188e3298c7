"""EKS Auto Mode's rules as the local cloud checks them (pure: weft.local.moto_eks.auto_mode)."""

from __future__ import annotations

from typing import Any

from weft.local.moto_eks.auto_mode import MIN_MINOR, problem

ROLE = "arn:aws:iam::123456789012:role/nodes"


def settings(on: bool = True) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    compute: dict[str, Any] = {"enabled": on}
    if on:
        compute.update(nodePools=["general-purpose", "system"], nodeRoleArn=ROLE)
    return (
        compute,
        {"blockStorage": {"enabled": on}},
        {"elasticLoadBalancing": {"enabled": on}},
    )


def test_auto_mode_is_refused_below_its_first_kubernetes_version() -> None:
    refused = problem(*settings(), f"1.{MIN_MINOR - 1}")
    assert refused is not None and f"1.{MIN_MINOR} or above" in refused
    assert problem(*settings(), f"1.{MIN_MINOR}") is None


def test_off_is_fine_on_any_version_and_half_on_never() -> None:
    assert problem(*settings(on=False), f"1.{MIN_MINOR - 1}") is None
    compute, storage, _ = settings()
    refused = problem(compute, storage, None, f"1.{MIN_MINOR}")
    assert refused is not None and "fully enabled or fully disabled" in refused


def test_a_node_role_the_account_lacks_is_refused() -> None:
    refused = problem(*settings(), f"1.{MIN_MINOR}", role_exists=lambda arn: False)
    assert refused is not None and ROLE in refused
    assert problem(*settings(), f"1.{MIN_MINOR}", role_exists=lambda arn: True) is None
