"""The static region table."""

from __future__ import annotations

import re

from weft.fabricfile import known_zones
from weft.fabricfile.regions import REGION_ZONES, known_regions


def test_known_zones() -> None:
    assert known_zones("us-east-2") == ["us-east-2a", "us-east-2b", "us-east-2c"]
    assert known_zones("us-west-1") == ["us-west-1a", "us-west-1c"]
    assert known_zones("us-east-1") == [f"us-east-1{c}" for c in "abcdef"]
    assert known_zones("ap-northeast-1") == [
        "ap-northeast-1a",
        "ap-northeast-1c",
        "ap-northeast-1d",
    ]
    assert known_zones("mars-north-1") is None


def test_table_is_well_formed() -> None:
    assert len(known_regions()) == 28
    for region, zones in REGION_ZONES.items():
        assert re.fullmatch(r"[a-z]{2}-[a-z]+-\d", region)
        assert zones and list(zones) == sorted(set(zones))
        assert all(re.fullmatch(re.escape(region) + "[a-z]", zone) for zone in zones)


def test_known_zones_returns_a_copy() -> None:
    zones = known_zones("us-east-2")
    assert zones is not None
    zones.append("us-east-2z")
    assert known_zones("us-east-2") == ["us-east-2a", "us-east-2b", "us-east-2c"]
