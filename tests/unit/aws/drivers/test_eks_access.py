"""EKS access: the cluster's authentication mode moves forward only; associations are named as
the model names them."""

from __future__ import annotations

from weft.aws.drivers import eks_access_policy, eks_cluster
from weft.core.resource import Observed
from weft.model.cluster import access_policy_name


def cluster(mode: str) -> Observed:
    return Observed(kind="eks_cluster", name="main", id="demo", props={"authentication_mode": mode})


def test_the_authentication_mode_never_moves_back() -> None:
    driver = eks_cluster.DRIVER
    assert driver.refusals({"authentication_mode": "API"}, cluster("API_AND_CONFIG_MAP")) == []
    refused = driver.refusals({"authentication_mode": "API_AND_CONFIG_MAP"}, cluster("API"))
    assert [r.field for r in refused] == ["authentication_mode"]
    assert "cannot move a cluster's authentication mode back" in refused[0].message


def test_discovery_names_an_association_as_the_model_does() -> None:
    for policy in (
        "AmazonEKSClusterAdminPolicy",
        "AmazonEKSAdminPolicy",
        "AmazonEKSEditPolicy",
        "AmazonEKSViewPolicy",
        "AmazonEKSAdminViewPolicy",
    ):
        arn = eks_access_policy.policy_arn(policy)
        assert eks_access_policy.association_name("dev-1a2b3c", arn) == access_policy_name(
            "dev-1a2b3c", policy
        )
