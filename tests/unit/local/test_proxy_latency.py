"""The proxy's latency model and what it counted (pure)."""

from __future__ import annotations

import pytest

from weft.local.proxy import PROVISIONING_SECONDS, Counts, Latency, realistic_latency


def test_a_call_costs_the_round_trip_plus_its_provisioning_delay() -> None:
    latency = Latency(0.05, {"eks:CreateCluster": 6.0})
    assert latency.delay("eks:CreateCluster") == 6.0
    assert latency.delay("eks:DescribeCluster") == 0.0
    assert latency.cost("eks:CreateCluster") == pytest.approx(6.05)
    assert latency.cost("ec2:DescribeVpcs") == pytest.approx(0.05)


def test_a_realistic_region_scales_provisioning_but_not_the_round_trip() -> None:
    latency = realistic_latency(scale=100.0, round_trip=0.04)
    assert latency.round_trip == 0.04
    assert set(latency.delays) == set(PROVISIONING_SECONDS)
    assert latency.delay("eks:CreateCluster") == pytest.approx(6.0)
    assert latency.delay("rds:CreateDBInstance") == pytest.approx(4.0)


def test_counts_split_reads_from_writes() -> None:
    counts = Counts(
        {"ec2:DescribeVpcs": 3, "ec2:CreateVpc": 1, "s3:GetObject": 2, "s3:PutObject": 4},
        faults=1,
        upstream_seconds=0.123456,
        forwarded=9,
    )
    assert (counts.total, counts.reads, counts.writes) == (10, 5, 5)
    assert counts.to_dict() == {
        "total": 10,
        "reads": 5,
        "writes": 5,
        "faults": 1,
        "upstream_seconds": 0.1235,
        "forwarded": 9,
        "by_call": {
            "ec2:CreateVpc": 1,
            "ec2:DescribeVpcs": 3,
            "s3:GetObject": 2,
            "s3:PutObject": 4,
        },
    }
