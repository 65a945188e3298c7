"""The cost arithmetic (weft.model.cost) against hand-computed figures for the demo fabric, with
the prices of weft's snapshot."""

from __future__ import annotations

import importlib.util
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.helpers import CLUSTER_VERSION
from weft.aws.pricing import from_snapshot, parse_item, snapshot_products
from weft.fabricfile import parse_fabric
from weft.model import desired_resources
from weft.model.cost import CW_ALARM, Assumptions, lines, priced

ROOT = Path(__file__).resolve().parents[3]


def demo_fabric_text() -> str:
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    assert spec and spec.loader
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    base = (
        "name: demo\nregion: us-east-2\nnetwork:\n  cidr: 10.0.0.0/16\n  zones: 3\n"
        "  nat: single\n  layout: private\n"
    )
    # the price does not depend on the version, only on its support (tested apart)
    return base + re.sub(
        r"\n  version: .*\n", f'\n  version: "{CLUSTER_VERSION}"\n', demo.FULL_FABRIC
    )


def demo_estimate(extended: bool, assumptions: Assumptions | None = None):
    fabric = parse_fabric(demo_fabric_text(), source="fabric.yaml")
    resources = desired_resources(
        fabric, account_id="123456789012", zones=["us-east-2a", "us-east-2b", "us-east-2c"]
    )
    items = lines(
        resources,
        assumptions=assumptions or Assumptions(),
        extended_support=extended,
        shared_alb=True,
    )
    prices = {}
    for line in items:
        point = from_snapshot(line.query, "us-east-2")
        assert point is not None, line
        prices[line.query.key] = point.usd
    return priced(items, prices)


#: The demo fabric in us-east-2, by hand (730 h; snapshot prices; stated volumes defaulted).
BY_HAND = {
    "eks_cluster.main": Decimal("73.00"),  # 730 x $0.10
    "eks_nodegroup.general": Decimal("222.24"),  # 3 x 730 x $0.096 + 3 x 50 GB x $0.08
    "eks_nodegroup.graviton": Decimal("63.57"),  # 730 x $0.0816 (59.568) + 50 GB x $0.08
    "nat_gateway.a": Decimal("37.35"),  # 730 x $0.045 + 100 GB x $0.045
    "eip.nat-a": Decimal("3.65"),  # 730 x $0.005
    "db_instance.main": Decimal("99.50"),  # Multi-AZ: 2 x 730 x $0.065 + 2 x 20 GB x $0.115
    "cache_replication_group.sessions": Decimal("46.72"),  # 2 nodes x 730 x $0.032
    "hosted_zone.main": Decimal("0.50"),
    "kms_key.fabric": Decimal("1.00"),
    "log_group.cluster": Decimal("2.65"),  # 5 GB x $0.50 + 5 GB kept 30 days x $0.03
    "log_group.containers": Decimal("2.65"),  # the containers' logs: as the control plane's
    "bucket.uploads": Decimal("0.23"),  # 10 GB x $0.023
    "apps.ingress": Decimal("22.27"),  # 730 x $0.0225 (16.425) + 730 LCU-h x $0.008
    "dashboard.fabric": Decimal("3.00"),  # one dashboard of 50 metrics or fewer
}


def test_the_demo_fabric_costs_what_was_computed_by_hand():
    estimate = demo_estimate(extended=False)
    assert estimate.missing == []
    assert estimate.by_address() == BY_HAND
    assert estimate.total == Decimal("578.33") == sum(BY_HAND.values())


def test_extended_support_prices_the_control_plane_at_its_rate():
    estimate = demo_estimate(extended=True)
    assert estimate.by_address()["eks_cluster.main"] == Decimal("438.00")  # 730 x $0.60
    assert estimate.total == Decimal("943.33")


def test_stated_volumes_change_the_usage_lines_only():
    estimate = demo_estimate(extended=False, assumptions=Assumptions(nat_gb=1000, log_gb=0))
    assert estimate.by_address()["nat_gateway.a"] == Decimal("77.85")  # 32.85 + 1000 x $0.045
    assert estimate.by_address()["log_group.cluster"] == Decimal("0.00")
    assert estimate.by_address()["eip.nat-a"] == BY_HAND["eip.nat-a"]


def test_every_snapshot_price_names_its_source_date_and_provenance():
    products = snapshot_products()
    assert products
    for p in products:
        assert p["provenance"] in ("price-list-api", "transcribed"), p
        assert p["source"] and re.fullmatch(r"\d{4}-\d{2}-\d{2}", p["date"]), p
        assert Decimal(p["usd"]) > 0
        # a transcribed price never claims to be API data
        if p["provenance"] == "transcribed":
            assert "read from the API" not in p["source"]


@pytest.mark.parametrize(
    ("version", "provenance"),
    [("20260918", "price-list-api"), ("weft-snapshot-transcribed", "transcribed")],
)
def test_a_price_list_item_keeps_its_provenance(version: str, provenance: str):
    item = {
        "product": {"productFamily": "Compute", "attributes": {}, "sku": "X"},
        "serviceCode": "AmazonEKS",
        "terms": {
            "OnDemand": {
                "X.T": {
                    "priceDimensions": {
                        "X.T.2": {"beginRange": "25", "pricePerUnit": {"USD": "0.1"}},
                        "X.T.1": {"beginRange": "0", "pricePerUnit": {"USD": "0.5"}},
                    }
                }
            }
        },
        "version": version,
        "publicationDate": "2026-09-18T00:00:00Z",
    }
    point = parse_item(json.dumps(item))
    assert point is not None
    assert point.usd == Decimal("0.5")  # the first tier
    assert point.provenance == provenance and point.date == "2026-09-18"


def _tiers(*tiers: tuple[str, str]) -> str:
    dims = {
        f"X.T.{n}": {"beginRange": begin, "pricePerUnit": {"USD": usd}}
        for n, (begin, usd) in enumerate(tiers)
    }
    return json.dumps(
        {
            "product": {"productFamily": "Message Delivery", "attributes": {}, "sku": "X"},
            "serviceCode": "AmazonSNS",
            "terms": {"OnDemand": {"X.T": {"priceDimensions": dims}}},
            "version": "20260918",
            "publicationDate": "2026-09-18T00:00:00Z",
        }
    )


def test_a_free_first_tier_is_passed_over_as_the_estimate_counts_no_free_tier():
    """SNS lists its first 1,000 e-mails a month at $0: the estimate prices the next tier."""
    point = parse_item(_tiers(("1000", "0.0000200000"), ("0", "0.0000000000")))
    assert point is not None and point.usd == Decimal("0.00002")
    free = parse_item(_tiers(("0", "0.0000000000")))  # free in every tier: zero
    assert free is not None and free.usd == Decimal(0)


ALARMS = """\
observability:
  alarms: {email: [oncall@example.com, dev@example.com]}
"""


def test_alarms_and_their_emails_are_priced_per_alarm_and_per_notification():
    fabric = parse_fabric(demo_fabric_text() + ALARMS, source="fabric.yaml")
    resources = desired_resources(
        fabric, account_id="123456789012", zones=["us-east-2a", "us-east-2b", "us-east-2c"]
    )
    items = lines(
        resources,
        assumptions=Assumptions(alarm_notifications=100),
        shared_alb=True,
        alarm_apps=["web"],
    )
    prices = {}
    for line in items:
        point = from_snapshot(line.query, "us-east-2")
        assert point is not None, line
        prices[line.query.key] = point.usd
    by = priced(items, prices).by_address()
    # database storage, certificate expiry, two NAT alarms: $0.10 each
    alarms = {a: v for a, v in by.items() if a.startswith("metric_alarm.")}
    assert sorted(alarms) == [
        "metric_alarm.certificate-wildcard-expiry",
        "metric_alarm.db-main-storage",
        "metric_alarm.nat-a-dropped",
        "metric_alarm.nat-a-port-errors",
    ]
    assert set(alarms.values()) == {Decimal("0.10")}
    # the app's 5xx alarm, written by weft deploy: $0.10 more on the app's ingress
    assert by["apps.ingress"] == BY_HAND["apps.ingress"]
    (app_alarm,) = [x for x in items if x.address == "apps.web"]
    assert app_alarm.query.key == CW_ALARM.key and app_alarm.quantity == 1
    # 2 addresses x 100 notifications x $0.00002
    assert by["sns_topic.alarms"] == Decimal("0.00")
    (mail,) = [line for line in items if line.address == "sns_topic.alarms"]
    assert mail.quantity == 200 and prices[mail.query.key] == Decimal("0.00002")
    big = lines(resources, assumptions=Assumptions(alarm_notifications=100_000))
    assert priced(big, prices).by_address()["sns_topic.alarms"] == Decimal("4.00")


def test_adding_a_node_group_adds_its_nodes_and_volumes():
    extra = (
        "  - name: batch\n    instance_types: [t3.large]\n    min: 0\n    max: 4\n    desired: 2\n"
    )
    text = demo_fabric_text().replace("\ndatabases:", extra + "\ndatabases:")
    fabric = parse_fabric(text, source="fabric.yaml")
    resources = desired_resources(
        fabric, account_id="123456789012", zones=["us-east-2a", "us-east-2b", "us-east-2c"]
    )
    items = lines(resources, assumptions=Assumptions(), shared_alb=True)
    prices = {line.query.key: from_snapshot(line.query, "us-east-2").usd for line in items}  # type: ignore[union-attr]
    after = priced(items, prices)
    # 2 x 730 h x $0.0832 (121.472) + 2 x 50 GB x $0.08
    assert after.by_address()["eks_nodegroup.batch"] == Decimal("129.47")
    assert after.total - demo_estimate(extended=False).total == Decimal("129.47")
