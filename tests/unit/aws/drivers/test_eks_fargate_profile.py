"""A Fargate profile waits its turn: EKS creates or deletes one profile per cluster at a time.

moto makes profiles ACTIVE at once, so the turn is shown here on a hand-made EKS whose other
profile stays CREATING for a few looks."""

from __future__ import annotations

from typing import Any

from weft.aws.drivers.eks_fargate_profile import EksFargateProfileDriver
from weft.core.resource import Observed, Resource

from .fake_cloud import FakeCloud

PROPS: dict[str, Any] = {
    "cluster_name": "demo",
    "profile_name": "jobs",
    "pod_execution_role_arn": "arn:aws:iam::123456789012:role/pods",
    "subnet_ids": ["subnet-1"],
    "selectors": [{"namespace": "jobs", "labels": {}}],
    "tags": {"weft:fabric": "f", "weft:id": "eks_fargate_profile.jobs"},
}


class Eks:
    """Profile ``web`` is CREATING for the first ``busy_looks`` descriptions, then ACTIVE."""

    def __init__(self, busy_looks: int, busy_status: str = "CREATING") -> None:
        self.looks = 0
        self.busy_looks = busy_looks
        self.busy_status = busy_status

    def describe(self, *, clusterName: str, fargateProfileName: str) -> dict[str, Any]:
        if fargateProfileName == "web":
            self.looks += 1
            status = self.busy_status if self.looks <= self.busy_looks else "ACTIVE"
        else:
            status = "ACTIVE"
        return {
            "fargateProfile": {
                "clusterName": clusterName,
                "fargateProfileName": fargateProfileName,
                "fargateProfileArn": f"arn:aws:eks:us-east-2:123456789012:fp/{fargateProfileName}",
                "status": status,
                "subnets": ["subnet-1"],
                "selectors": [{"namespace": "jobs"}],
                "tags": PROPS["tags"],
            }
        }

    def cloud(self) -> FakeCloud:
        return FakeCloud(
            {
                "list_fargate_profiles": {"fargateProfileNames": ["jobs", "web"]},
                "describe_fargate_profile": self.describe,
            }
        )


def driver() -> EksFargateProfileDriver:
    d = EksFargateProfileDriver()
    d.turn_interval = 0.001
    return d


def test_a_create_waits_while_another_profile_of_the_cluster_is_creating() -> None:
    eks = Eks(busy_looks=3)
    cloud = eks.cloud()
    reports: list[str] = []
    ctx = cloud.context().with_reporter(reports.append)
    found = driver().make(ctx, Resource("eks_fargate_profile", "jobs", PROPS), dict(PROPS))
    assert isinstance(found, Observed) and found.id == "jobs"
    ops = [op for _, op, _ in cloud.calls]
    create = ops.index("create_fargate_profile")
    # the create comes only after web was seen ACTIVE: three busy looks, then one more
    assert eks.looks == 4
    assert ops[:create].count("describe_fargate_profile") == 4
    assert len(reports) == 3
    assert all("Fargate profile web CREATING" in r for r in reports)
    assert "EKS does one at a time" in reports[0]


def test_a_delete_waits_too_and_an_idle_cluster_costs_one_look() -> None:
    eks = Eks(busy_looks=1, busy_status="DELETING")
    cloud = eks.cloud()
    reports: list[str] = []
    ctx = cloud.context().with_reporter(reports.append)
    driver().remove(ctx, PROPS)
    ops = [op for _, op, _ in cloud.calls]
    assert ops[-1] == "delete_fargate_profile"
    assert reports and "Fargate profile web DELETING" in reports[0]

    idle = Eks(busy_looks=0).cloud()
    driver().remove(idle.context(), PROPS)
    assert [op for _, op, _ in idle.calls] == [
        "list_fargate_profiles",
        "describe_fargate_profile",
        "delete_fargate_profile",
    ]
