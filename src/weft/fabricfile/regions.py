"""AWS commercial regions and their availability zones, as a static offline table.

The table lets a fabric file be validated before anything touches the cloud: a region name is
checked for typos, a zone count against the number of zones the region has, and explicit zone names
against the region's zone list. It is public knowledge written down once and never fetched: weft
makes no AWS call here.

It is *not* the final truth. Zones can be added to a region, and an account may not see every zone
(or may see them under different names). The cloud's ``ec2:DescribeAvailabilityZones`` answer is
authoritative; it is checked later, at plan time, by the code that talks to AWS.
"""

from __future__ import annotations

__all__ = ["EKS_UNSUPPORTED_ZONE_IDS", "REGION_ZONES", "known_regions", "known_zones"]


def _zones(region: str, letters: str) -> tuple[str, ...]:
    return tuple(f"{region}{letter}" for letter in letters)


_LETTERS: dict[str, str] = {
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-west-1": "ac",
    "us-west-2": "abcd",
    "ca-central-1": "abd",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
    "ap-southeast-3": "abc",
    "ap-southeast-4": "abc",
    "ap-south-1": "abc",
    "ap-south-2": "abc",
    "ap-east-1": "abc",
    "sa-east-1": "abc",
    "me-south-1": "abc",
    "me-central-1": "abc",
    "af-south-1": "abc",
    "il-central-1": "abc",
}

#: region name -> the names of its availability zones, in alphabetical order.
REGION_ZONES: dict[str, tuple[str, ...]] = {
    region: _zones(region, letters) for region, letters in _LETTERS.items()
}


#: region name -> the availability zone *ids* in which EKS places no cluster control plane
#: (Amazon EKS User Guide, "View Amazon EKS networking requirements for VPC and subnets"): the
#: cluster's subnets must avoid them, node groups may use them. Ids, not names: each account
#: maps zone names to physical zones differently, so us-east-1e in one account is use1-az3 and
#: in another is not. The cloud's DescribeAvailabilityZones gives each name its id at plan time.
EKS_UNSUPPORTED_ZONE_IDS: dict[str, frozenset[str]] = {
    "us-east-1": frozenset({"use1-az3"}),
    "us-west-1": frozenset({"usw1-az2"}),
    "ca-central-1": frozenset({"cac1-az3"}),
}


def known_regions() -> list[str]:
    """All region names in the table, in table order."""
    return list(REGION_ZONES)


def known_zones(region: str) -> list[str] | None:
    """The availability zones of ``region`` from the static table, or None if it is unknown.

    A fabric whose region is not in the table does not validate, so after validation this always
    returns a list.
    """
    zones = REGION_ZONES.get(region)
    return list(zones) if zones is not None else None
