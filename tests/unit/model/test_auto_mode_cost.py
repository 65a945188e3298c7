"""EKS Auto Mode in the cost estimate: its instances and the management fee on each instance
hour, priced from weft's snapshot."""

from __future__ import annotations

from decimal import Decimal

from weft.aws.pricing import from_snapshot
from weft.fabricfile import parse_fabric
from weft.model import desired_resources
from weft.model.cost import Assumptions, lines, priced

AUTO = """\
name: demo
region: us-east-2
network:
  cidr: 10.0.0.0/16
cluster:
  compute: auto
  api_cidrs: [203.0.113.0/24]
"""


def _cluster_lines(text: str, assumptions: Assumptions) -> list[tuple[str, Decimal | None]]:
    fabric = parse_fabric(text, "fabric.yaml")
    resources = desired_resources(fabric, account_id="123456789012", zones=fabric.zone_names())
    items = [
        line
        for line in lines(resources, assumptions=assumptions)
        if line.address == "eks_cluster.main"
    ]
    prices = {}
    for line in items:
        point = from_snapshot(line.query, "us-east-2")
        assert point is not None, line
        prices[line.query.key] = point.usd
    estimate = priced(items, prices)
    return [(p.line.what, p.monthly) for p in estimate.items]


def test_an_auto_mode_cluster_pays_for_its_instances_and_their_management_fee() -> None:
    found = dict(_cluster_lines(AUTO, Assumptions(auto_mode_instances=2)))
    assert found["EKS Auto Mode instances, 2 x m7i.large"] == Decimal("147.17")  # 2 x 730 x 0.1008
    # 2 x 730 x $0.0121 (AmazonEKS price list, EKS-Auto:m7i.large-management-hours)
    assert found["EKS Auto Mode management fee, 2 x m7i.large"] == Decimal("17.67")


def test_no_fee_without_auto_mode_or_without_instances() -> None:
    plain = AUTO.replace("  compute: auto\n", "")
    assert len(_cluster_lines(plain, Assumptions())) == 1  # the control plane only
    assert len(_cluster_lines(AUTO, Assumptions(auto_mode_instances=0))) == 1
