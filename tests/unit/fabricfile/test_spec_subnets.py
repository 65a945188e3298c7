"""Subnet planning: the documented layout, stability when zones are added, and fit errors."""

from __future__ import annotations

import ipaddress
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from weft.fabricfile import SubnetPlan, plan_subnets
from weft.fabricfile.subnets import zone_suffix

ZONES = [f"us-east-1{letter}" for letter in "abcdef"]


def test_private_layout_three_zones_in_a_slash_16() -> None:
    plans = plan_subnets("10.0.0.0/16", ZONES[:3], "private")
    assert [(p.tier, p.zone, p.cidr, p.index) for p in plans] == [
        ("private", "us-east-1a", "10.0.0.0/19", 0),
        ("public", "us-east-1a", "10.0.32.0/19", 0),
        ("private", "us-east-1b", "10.0.64.0/19", 1),
        ("public", "us-east-1b", "10.0.96.0/19", 1),
        ("private", "us-east-1c", "10.0.128.0/19", 2),
        ("public", "us-east-1c", "10.0.160.0/19", 2),
    ]
    assert all(isinstance(p, SubnetPlan) for p in plans)


def test_adding_a_fourth_zone_keeps_the_first_three() -> None:
    three = plan_subnets("10.0.0.0/16", ZONES[:3], "private")
    four = plan_subnets("10.0.0.0/16", ZONES[:4], "private")
    assert four[:6] == three
    assert [p.cidr for p in four[6:]] == ["10.0.192.0/19", "10.0.224.0/19"]


def test_public_layout_has_one_tier() -> None:
    plans = plan_subnets("10.1.0.0/16", ZONES[:3], "public")
    assert [(p.tier, p.cidr) for p in plans] == [
        ("public", "10.1.0.0/18"),
        ("public", "10.1.64.0/18"),
        ("public", "10.1.128.0/18"),
    ]


def test_more_than_four_zones_use_eight_slots_per_tier() -> None:
    plans = plan_subnets("10.0.0.0/16", ZONES[:5], "private")
    assert {p.cidr.split("/")[1] for p in plans} == {"20"}
    assert plans[-1].cidr == "10.0.144.0/20"


def test_subnet_size_override() -> None:
    plans = plan_subnets("10.0.0.0/16", ZONES[:2], "private", subnet_size=24)
    assert [p.cidr for p in plans] == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]


def test_smallest_vpc_gives_slash_27_subnets() -> None:
    plans = plan_subnets("10.0.0.0/24", ZONES[:3], "private")
    assert plans[-1].cidr == "10.0.0.160/27"


def test_subnets_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match=r"a /16 VPC holds 2 subnets of /17, but .* need 6"):
        plan_subnets("10.0.0.0/16", ZONES[:3], "private", subnet_size=17)


def test_subnet_size_not_smaller_than_vpc() -> None:
    with pytest.raises(ValueError, match="not smaller than the /20 VPC"):
        plan_subnets("10.0.0.0/20", ZONES[:1], "private", subnet_size=20)


def test_subnets_smaller_than_slash_28_are_refused() -> None:
    with pytest.raises(ValueError, match="smallest subnet AWS allows"):
        plan_subnets("10.0.0.0/26", ZONES[:3], "private")
    with pytest.raises(ValueError, match="smallest subnet AWS allows"):
        plan_subnets("10.0.0.0/16", ZONES[:3], "private", subnet_size=29)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="unknown layout"):
        plan_subnets("10.0.0.0/16", ZONES[:3], "hybrid")
    with pytest.raises(ValueError, match="at least one zone"):
        plan_subnets("10.0.0.0/16", [], "private")
    with pytest.raises(ValueError, match="unique"):
        plan_subnets("10.0.0.0/16", [ZONES[0], ZONES[0]], "private")


def test_zone_suffix() -> None:
    assert zone_suffix("us-east-2a", "us-east-2") == "a"
    with pytest.raises(ValueError):
        zone_suffix("us-west-2a", "us-east-2")
    with pytest.raises(ValueError):
        zone_suffix("us-east-2", "us-east-2")


@st.composite
def vpcs(draw: st.DrawFn) -> tuple[str, str, int | None]:
    prefix = draw(st.integers(min_value=16, max_value=24))
    address = draw(st.integers(min_value=0, max_value=2**32 - 1))
    network = ipaddress.IPv4Network((address, prefix), strict=False)
    layout = draw(st.sampled_from(["private", "public"]))
    size = draw(st.one_of(st.none(), st.integers(min_value=prefix + 1, max_value=28)))
    return str(network), layout, size


@given(vpcs(), st.integers(min_value=1, max_value=6))
def test_subnets_are_disjoint_inside_the_vpc_and_stable(
    vpc: tuple[str, str, int | None], count: int
) -> None:
    cidr, layout, size = vpc
    zones = [f"xx-test-1{letter}" for letter in string.ascii_lowercase[:count]]
    try:
        plans = plan_subnets(cidr, zones, layout, size)
    except ValueError:
        assert size is not None  # only an explicit subnet size can make subnets not fit
        return
    network = ipaddress.IPv4Network(cidr)
    subnets = [ipaddress.IPv4Network(p.cidr) for p in plans]
    assert len(plans) == count * (2 if layout == "private" else 1)
    assert all(s.subnet_of(network) for s in subnets)
    assert all(s.prefixlen <= 28 for s in subnets)
    for i, a in enumerate(subnets):
        for b in subnets[i + 1 :]:
            assert not a.overlaps(b)
    # Adding a zone never moves an existing subnet (within one slot layout: up to four zones,
    # or five and more, or whenever subnet_size is fixed).
    if count < 6 and (size is not None or count != 4):
        try:
            more = plan_subnets(cidr, [*zones, "xx-test-1z"], layout, size)
        except ValueError:
            assert size is not None
        else:
            assert more[: len(plans)] == plans
