"""Carving a VPC's CIDR into one subnet per (zone, tier): pure, stable, stdlib only.

The layout is chosen so that *adding a zone at the end is a minimal change*: the number of slots
the VPC is split into does not depend on how many zones are used, only on whether more than four
are, so the subnets of the existing zones keep their CIDRs.

- tiers are ``["private", "public"]`` for layout ``private`` and ``["public"]`` for ``public``;
- the VPC is split into ``len(tiers) * 4`` slots (room for four zones), or ``len(tiers) * 8``
  slots when more than four zones are used, rounded up to a power of two;
- the subnet prefix length is the VPC prefix length plus ``log2(slots)``, unless ``subnet_size``
  is given, which then sets it for every subnet;
- zone ``i`` (0-based, in the fabric's order) and tier ``t`` get slot ``i * len(tiers) + t``.

Example: ``10.0.0.0/16``, layout private, three zones gives ``/19`` subnets: private-a
``10.0.0.0/19``, public-a ``10.0.32.0/19``, private-b ``10.0.64.0/19``, public-b
``10.0.96.0/19``, private-c ``10.0.128.0/19``, public-c ``10.0.160.0/19``.

Going from four zones to five changes the slot count (and so every CIDR) unless ``subnet_size``
is set; with ``subnet_size`` set, adding a zone never moves an existing subnet.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

__all__ = [
    "LAYOUT_TIERS",
    "MAX_SUBNET_PREFIX",
    "SubnetPlan",
    "plan_subnets",
    "slot_count",
    "zone_suffix",
]

#: The smallest subnet AWS allows is a /28.
MAX_SUBNET_PREFIX = 28

#: The tiers of each layout, in slot order.
LAYOUT_TIERS: dict[str, tuple[str, ...]] = {
    "private": ("private", "public"),
    "public": ("public",),
}


@dataclass(frozen=True)
class SubnetPlan:
    """One planned subnet.

    ``tier`` is ``"public"`` or ``"private"``; ``zone`` the availability zone name; ``cidr`` the
    subnet's network in normalized form; ``index`` the 0-based position of the zone in the
    fabric's zone list (the subnet's slot is ``index * len(tiers) + tier position``).
    """

    tier: str
    zone: str
    cidr: str
    index: int


def _tiers(layout: str) -> tuple[str, ...]:
    try:
        return LAYOUT_TIERS[layout]
    except KeyError:
        allowed = ", ".join(LAYOUT_TIERS)
        raise ValueError(f"unknown layout {layout!r}; expected one of: {allowed}") from None


def slot_count(zone_count: int, layout: str) -> int:
    """How many equal slots the VPC is split into for ``zone_count`` zones of ``layout``."""
    per_zone_room = 4 if zone_count <= 4 else 8
    wanted = len(_tiers(layout)) * per_zone_room
    return 1 << (wanted - 1).bit_length()


def plan_subnets(
    cidr: str, zones: list[str], layout: str, subnet_size: int | None = None
) -> list[SubnetPlan]:
    """Plan one subnet per zone and tier, ordered by slot (zone by zone, private before public).

    Raises ValueError, with a message that explains the sizes, when the subnets do not fit into
    the VPC or would be smaller than a /28.
    """
    vpc = ipaddress.IPv4Network(cidr, strict=True)
    tiers = _tiers(layout)
    if not zones:
        raise ValueError("at least one zone is needed to plan subnets")
    if len(set(zones)) != len(zones):
        raise ValueError(f"zone names must be unique, got {', '.join(zones)}")
    slots = slot_count(len(zones), layout)
    needed = len(zones) * len(tiers)
    if subnet_size is None:
        prefix = vpc.prefixlen + int(math.log2(slots))
        if prefix > MAX_SUBNET_PREFIX:
            raise ValueError(
                f"a /{vpc.prefixlen} VPC split into {slots} slots ({len(tiers)} tier(s), room for "
                f"{slots // len(tiers)} zones) gives /{prefix} subnets, smaller than the smallest "
                f"subnet AWS allows (/{MAX_SUBNET_PREFIX}); use a VPC of "
                f"/{MAX_SUBNET_PREFIX - int(math.log2(slots))} or larger"
            )
    else:
        prefix = subnet_size
        if prefix <= vpc.prefixlen:
            raise ValueError(
                f"subnet size /{prefix} is not smaller than the /{vpc.prefixlen} VPC; a subnet "
                f"must have a longer prefix than its VPC (from /{vpc.prefixlen + 1} to "
                f"/{MAX_SUBNET_PREFIX})"
            )
        if prefix > MAX_SUBNET_PREFIX:
            raise ValueError(
                f"subnet size /{prefix} is smaller than the smallest subnet AWS allows "
                f"(/{MAX_SUBNET_PREFIX})"
            )
    capacity = 1 << (prefix - vpc.prefixlen)
    if needed > capacity:
        minimum = vpc.prefixlen + (needed - 1).bit_length()
        advice = (
            f"use subnet_size {minimum} or more (smaller subnets), a larger VPC, or fewer zones"
            if minimum <= MAX_SUBNET_PREFIX
            else "use a larger VPC or fewer zones"
        )
        raise ValueError(
            f"a /{vpc.prefixlen} VPC holds {capacity} subnets of /{prefix}, but {len(zones)} "
            f"zone(s) x {len(tiers)} tier(s) need {needed}; {advice}"
        )
    size = 1 << (32 - prefix)
    plans: list[SubnetPlan] = []
    for index, zone in enumerate(zones):
        for position, tier in enumerate(tiers):
            slot = index * len(tiers) + position
            network = ipaddress.IPv4Network((int(vpc.network_address) + slot * size, prefix))
            plans.append(SubnetPlan(tier=tier, zone=zone, cidr=str(network), index=index))
    return plans


def zone_suffix(zone: str, region: str) -> str:
    """The part of a zone name after its region: ``zone_suffix("us-east-2a", "us-east-2") == "a"``.

    Raises ValueError when the zone does not belong to the region.
    """
    if not zone.startswith(region) or len(zone) == len(region):
        raise ValueError(f"zone {zone!r} is not a zone of region {region!r}")
    return zone[len(region) :]
