"""A cluster's settings as EKS keeps and reports them (pure): the VPC settings AWS fills in, the
control-plane log types, and the update an UpdateClusterConfig request makes.

moto stores what the request said: it replaces the logging and VPC settings instead of merging
them, and leaves out the defaults AWS reports. These functions hold AWS's rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: The control-plane log types, in the order EKS lists them.
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

#: VPC settings an UpdateClusterConfig request may change, and the update parameter each one
#: is reported as.
_VPC_PARAMS = (
    ("endpointPublicAccess", "EndpointPublicAccess"),
    ("endpointPrivateAccess", "EndpointPrivateAccess"),
    ("publicAccessCidrs", "PublicAccessCidrs"),
    ("subnetIds", "Subnets"),
    ("securityGroupIds", "SecurityGroups"),
)


def with_vpc_defaults(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """``resourcesVpcConfig`` with the settings AWS fills in when a create leaves them out."""
    filled = dict(config or {})
    filled.setdefault("subnetIds", [])
    filled.setdefault("securityGroupIds", [])
    filled.setdefault("endpointPublicAccess", True)
    filled.setdefault("endpointPrivateAccess", False)
    filled.setdefault("publicAccessCidrs", ["0.0.0.0/0"])
    return filled


def enabled_logs(logging: Any) -> set[str]:
    """The log types a ``logging`` setting enables."""
    enabled: set[str] = set()
    for entry in (logging or {}).get("clusterLogging") or []:
        if entry.get("enabled"):
            enabled |= set(entry.get("types") or [])
    return enabled


def logging_state(enabled: set[str]) -> dict[str, Any]:
    """Logging as AWS describes it: the enabled types, then the disabled ones."""
    entries = []
    on = [t for t in LOG_TYPES if t in enabled]
    off = [t for t in LOG_TYPES if t not in enabled]
    if on:
        entries.append({"types": on, "enabled": True})
    if off:
        entries.append({"types": off, "enabled": False})
    return {"clusterLogging": entries}


def logging_after(current: Any, request: Mapping[str, Any]) -> dict[str, Any]:
    """The cluster's logging once a ``logging`` update request is applied: each entry turns its
    types on or off; the types it does not name keep their setting."""
    enabled = enabled_logs(current)
    for entry in request.get("clusterLogging") or []:
        types = set(entry.get("types") or [])
        enabled = enabled | types if entry.get("enabled") else enabled - types
    return logging_state(enabled)


def vpc_update(request: Mapping[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """The update type and parameters a ``resourcesVpcConfig`` update request is reported with:
    a ``VpcConfigUpdate`` when it changes subnets or security groups, else an
    ``EndpointAccessUpdate``."""
    kind = (
        "VpcConfigUpdate"
        if {"subnetIds", "securityGroupIds"} & set(request)
        else "EndpointAccessUpdate"
    )
    params = [
        {"type": param, "value": json.dumps(request[key])}
        for key, param in _VPC_PARAMS
        if key in request
    ]
    return kind, params


def logging_update_params(request: Mapping[str, Any]) -> list[dict[str, str]]:
    """The parameters a ``logging`` update request is reported with."""
    return [{"type": "ClusterLogging", "value": json.dumps(request)}]


def subnet_zone_problem(original: set[str], requested: Mapping[str, str]) -> str | None:
    """None when an UpdateClusterConfig may give the cluster the subnets ``requested`` (subnet
    id -> its Availability Zone); else the message EKS refuses it with. EKS accepts new
    control-plane subnets only in the Availability Zones the cluster was created in (Amazon EKS
    User Guide, "View Amazon EKS networking requirements for VPC and subnets": "All subnets that
    you add must be in the same set of AZs as originally provided when you created the
    cluster")."""
    if not original:
        return None
    outside = sorted(s for s, zone in requested.items() if zone not in original)
    if not outside:
        return None
    zones = sorted({requested[s] for s in outside})
    return (
        f"Provided subnets {', '.join(outside)} are in Availability Zones {', '.join(zones)}, "
        f"which are not among the cluster's Availability Zones {', '.join(sorted(original))}. "
        "Subnets added to a cluster must be in the Availability Zones it was created with."
    )
