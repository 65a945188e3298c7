"""The availability zones the local EKS places a control plane in, as EKS does.

EKS cannot place a cluster's control plane network interfaces in a few availability zones, named
by zone id (the same physical zone has a different name in each account): ``use1-az3`` in
us-east-1, ``usw1-az2`` in us-west-1 and ``cac1-az3`` in ca-central-1 (Amazon EKS User Guide,
"View Amazon EKS networking requirements for VPC and subnets", subnet requirements). CreateCluster
with a subnet in one of them answers UnsupportedAvailabilityZoneException, naming the zone and
the zones it would take ("Cannot create cluster 'NAME' because us-east-1e, the targeted
availability zone, does not currently have sufficient capacity to support the cluster. Retry
and choose from these availability zones: ...", with ``clusterName`` and ``validZones``: EKS
User Guide, "Troubleshoot problems with Amazon EKS clusters", insufficient capacity; EKS API
reference, CreateCluster errors). moto creates the cluster.

Only the control plane's subnets are judged: node groups may use those zones. The zone ids are
EC2's (moto's DescribeAvailabilityZones: in the local us-east-1, us-east-1e is use1-az3). The
emulator keeps its own copy of the list (weft's is in :mod:`weft.fabricfile.regions`).
"""

from __future__ import annotations

from typing import Any

#: Zone ids in which EKS places no control plane, by region.
UNSUPPORTED_ZONE_IDS: dict[str, frozenset[str]] = {
    "us-east-1": frozenset({"use1-az3"}),
    "us-west-1": frozenset({"usw1-az2"}),
    "ca-central-1": frozenset({"cac1-az3"}),
}


def refusal(
    cluster: str, region: str, subnet_zones: list[tuple[str, str]], zones: list[tuple[str, str]]
) -> tuple[str, list[str]] | None:
    """EKS's message and valid zones when a subnet of a new cluster is in a zone EKS does not
    support, else None. ``subnet_zones`` and ``zones`` (the region's) are (name, id) pairs."""
    unsupported = UNSUPPORTED_ZONE_IDS.get(region, frozenset())
    bad = sorted({name for name, zone_id in subnet_zones if zone_id in unsupported})
    if not bad:
        return None
    valid = sorted(name for name, zone_id in zones if zone_id not in unsupported)
    message = (
        f"Cannot create cluster '{cluster}' because {bad[0]}, the targeted availability zone, "
        "does not currently have sufficient capacity to support the cluster. Retry and choose "
        f"from these availability zones: {', '.join(valid)}"
    )
    return message, valid


def _exception(message: str, cluster: str, valid: list[str]) -> Exception:
    from moto.eks.exceptions import EKSError

    class UnsupportedAvailabilityZoneException(EKSError):
        TYPE = "UnsupportedAvailabilityZoneException"
        STATUS = 400

    return UnsupportedAvailabilityZoneException(
        message=message, clusterName=cluster, nodegroupName=None, validZones=valid
    )


def check(account_id: str, region: str, cluster: str, vpc_config: dict[str, Any] | None) -> None:
    """Raise EKS's UnsupportedAvailabilityZoneException for a new cluster with a subnet in a zone
    EKS does not support; subnets moto does not know are left alone."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    subnet_zones = []
    for subnet_id in (vpc_config or {}).get("subnetIds") or []:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except Exception:  # an unknown subnet: not judged here
            continue
        subnet_zones.append((str(subnet.availability_zone), str(subnet.availability_zone_id)))
    zones = [(z.name, z.zone_id) for z in ec2.describe_availability_zones()]
    found = refusal(cluster, region, subnet_zones, zones)
    if found is not None:
        raise _exception(found[0], cluster, found[1])
