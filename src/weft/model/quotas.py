"""What a change needs of the account's service quotas, and whether it fits (pure).

A fabric that does not fit its account fails half-way through ``up`` (``AddressLimitExceeded``
after the VPC and subnets were made; eksctl#454, #1646, #560; kops#6155). weft checks before it
writes: :func:`needs` counts what the plan adds per quota (desired resources minus the
fabric's own, which the account's usage already holds), :func:`judge` sets that against each
quota's applied value and the account's current usage. Reading the quotas and the usage is
:mod:`weft.aws.quotas`; putting the two together is :mod:`weft.ops.quotas`.

The quotas (codes as Service Quotas names them):

- VPCs per Region ``vpc/L-F678F1CE``; internet gateways per Region ``vpc/L-A4707A72``; NAT
  gateways per Availability Zone ``vpc/L-FE5A380F``; EC2-VPC Elastic IPs ``ec2/L-0263D0A3``;
- running On-Demand vCPUs by instance family (Amazon EC2 "On-Demand Instance quotas",
  https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html): Standard
  (A, C, D, H, I, M, R, T, Z) ``ec2/L-1216C47A``, G and VT ``L-DB2E81BA``, P ``L-417A185B``;
  Spot requests by the same families ``L-34B43A08``, ``L-3819A6DF``, ``L-7212CCBC``. The nodes a
  group runs at its desired size must fit (else refuse); at its max size they should (else warn);
- EKS clusters ``eks/L-1194D53C``, managed node groups per cluster ``L-6D54EA21``, nodes per
  managed node group ``L-BD136A63`` (its max size), Fargate profiles per cluster ``L-33415657``;
- RDS DB instances ``rds/L-7B6409FD``; Application Load Balancers per Region
  ``elasticloadbalancing/L-53DA6B97`` (the fabric's apps with an ingress share one ALB).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from weft.core.resource import Ref

Severity = Literal["refuse", "warn"]


@dataclass(frozen=True)
class Quota:
    service: str
    code: str
    name: str
    #: the usage it limits is per AZ / per cluster / per node group (else per Region)
    per: str = "Region"


QUOTAS: dict[str, Quota] = {
    q.code: q
    for q in (
        Quota("vpc", "L-F678F1CE", "VPCs per Region"),
        Quota("vpc", "L-A4707A72", "Internet gateways per Region"),
        Quota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone", per="Availability Zone"),
        Quota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs"),
        Quota("ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) vCPUs"),
        Quota("ec2", "L-DB2E81BA", "Running On-Demand G and VT vCPUs"),
        Quota("ec2", "L-417A185B", "Running On-Demand P vCPUs"),
        Quota("ec2", "L-34B43A08", "Standard (A, C, D, H, I, M, R, T, Z) Spot vCPUs"),
        Quota("ec2", "L-3819A6DF", "G and VT Spot vCPUs"),
        Quota("ec2", "L-7212CCBC", "P Spot vCPUs"),
        Quota("eks", "L-1194D53C", "EKS clusters"),
        Quota("eks", "L-6D54EA21", "Managed node groups per cluster", per="cluster"),
        Quota("eks", "L-BD136A63", "Nodes per managed node group", per="node group"),
        Quota("eks", "L-33415657", "Fargate profiles per cluster", per="cluster"),
        Quota("rds", "L-7B6409FD", "RDS DB instances"),
        Quota("elasticloadbalancing", "L-53DA6B97", "Application Load Balancers per Region"),
    )
}

#: The vCPU quota of an instance family class, on demand and on Spot.
VCPU_QUOTAS = {
    ("standard", False): "L-1216C47A",
    ("gvt", False): "L-DB2E81BA",
    ("p", False): "L-417A185B",
    ("standard", True): "L-34B43A08",
    ("gvt", True): "L-3819A6DF",
    ("p", True): "L-7212CCBC",
}

_SERIES = re.compile(r"([a-z]+?)(\d)")


def vcpu_class(instance_type: str) -> str | None:
    """The vCPU quota class of an instance type: "standard" (families A, C, D, H, I, M, R, T,
    Z), "gvt" (G and VT), "p"; None for the families with quotas weft does not check (F, X,
    Inf, Trn, DL, HPC, Mac, U...)."""
    m = _SERIES.match(instance_type.lower())
    series = m.group(1) if m else instance_type.lower()
    if series in ("g", "gr", "vt"):
        return "gvt"
    if series == "p":
        return "p"
    if series in ("a", "c", "d", "h", "i", "im", "is", "m", "r", "t", "z"):
        return "standard"
    return None


@dataclass(frozen=True)
class Need:
    """What the change adds to the usage of one quota, in one scope (an AZ, a cluster...)."""

    code: str
    scope: str
    needed: int
    #: "warn": only needed at the node groups' max size
    severity: Severity = "refuse"
    #: usage the scope already has that the account-wide count does not hold (per group)
    in_use: int | None = None


@dataclass(frozen=True)
class Finding:
    """A quota the change does not fit (or might not, at max size)."""

    code: str
    service: str
    name: str
    scope: str
    limit: float
    in_use: int
    needed: int
    severity: Severity
    region: str

    @property
    def console(self) -> str:
        return (
            f"https://{self.region}.console.aws.amazon.com/servicequotas/home/services/"
            f"{self.service}/quotas/{self.code}"
        )

    @property
    def request(self) -> str:
        return (
            f"aws service-quotas request-service-quota-increase --service-code {self.service} "
            f"--quota-code {self.code} --desired-value {self.in_use + self.needed} "
            f"--region {self.region}"
        )

    def line(self) -> str:
        where = f" ({self.scope})" if self.scope else ""
        return (
            f"{self.name}{where} [{self.service}/{self.code}]: limit {self.limit:g}, "
            f"in use {self.in_use}, needed {self.needed}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "service": self.service,
            "name": self.name,
            "scope": self.scope,
            "limit": self.limit,
            "in_use": self.in_use,
            "needed": self.needed,
            "severity": self.severity,
            "console": self.console,
            "request": self.request,
        }


@dataclass
class Usage:
    """What the account uses now: per quota code and scope ("" for the Region)."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def of(self, code: str, scope: str = "") -> int:
        return self.counts.get((code, scope), 0)


def _zones(resources: Iterable[Any]) -> dict[str, str]:
    """Subnet zone by address and by cloud id."""
    out: dict[str, str] = {}
    for r in resources:
        if r.kind == "subnet" and r.props.get("zone"):
            out[r.address] = str(r.props["zone"])
            ident = getattr(r, "id", None)
            if ident:
                out[str(ident)] = str(r.props["zone"])
    return out


def _subnet_key(value: Any) -> str:
    return value.address if isinstance(value, Ref) else str(value)


def counts(resources: Iterable[Any], vcpus: Mapping[str, int]) -> dict[tuple[str, str, str], int]:
    """What ``resources`` (desired :class:`Resource` or observed :class:`Observed`) hold per
    (quota code, scope, severity): ``refuse`` at desired sizes, ``warn`` at max sizes.
    ``vcpus``: vCPUs by instance type (a group of mixed types is counted at its largest)."""
    items = list(resources)
    zone_of = _zones(items)
    out: Counter[tuple[str, str, str]] = Counter()
    simple = {
        "vpc": "L-F678F1CE",
        "internet_gateway": "L-A4707A72",
        "eip": "L-0263D0A3",
        "eks_cluster": "L-1194D53C",
        "db_instance": "L-7B6409FD",
    }
    for r in items:
        props = r.props
        if r.kind in simple:
            out[(simple[r.kind], "", "refuse")] += 1
        elif r.kind == "nat_gateway":
            zone = zone_of.get(_subnet_key(props.get("subnet_id")), "?")
            out[("L-FE5A380F", zone, "refuse")] += 1
        elif r.kind == "eks_nodegroup":
            out[("L-6D54EA21", "cluster", "refuse")] += 1
            scaling = props.get("scaling") or {}
            types = [str(t) for t in props.get("instance_types") or ()]
            per_node = max((vcpus.get(t, 0) for t in types), default=0)
            classes = {vcpu_class(t) for t in types}
            spot = str(props.get("capacity_type") or "ON_DEMAND").upper() == "SPOT"
            for cls in classes:
                if cls is None:
                    continue
                code = VCPU_QUOTAS[(cls, spot)]
                out[(code, "", "refuse")] += per_node * int(scaling.get("desired") or 0)
                out[(code, "", "warn")] += per_node * int(scaling.get("max") or 0)
        elif r.kind == "eks_fargate_profile":
            out[("L-33415657", "cluster", "refuse")] += 1
    return dict(out)


def needs(
    desired: Iterable[Any],
    observed: Iterable[Any],
    vcpus: Mapping[str, int],
    *,
    albs: tuple[int, int] = (0, 0),
) -> list[Need]:
    """What the change from ``observed`` (the fabric's resources now) to ``desired`` adds to
    each quota. ``albs``: the fabric's ALBs (wanted, existing)."""
    desired = list(desired)
    want = counts(desired, vcpus)
    have = counts(observed, vcpus)
    out: list[Need] = []
    for (code, scope, severity), n in sorted(want.items()):
        added = n - have.get((code, scope, severity), 0)
        if added > 0:
            out.append(Need(code, scope, added, "warn" if severity == "warn" else "refuse"))
    for r in desired:
        if r.kind == "eks_nodegroup":
            size = int((r.props.get("scaling") or {}).get("max") or 0)
            out.append(Need("L-BD136A63", r.name, size, "refuse", in_use=0))
    if albs[0] > albs[1]:
        out.append(Need("L-53DA6B97", "", albs[0] - albs[1]))
    return out


def judge(
    wanted: Iterable[Need], limits: Mapping[str, float], usage: Usage, region: str
) -> list[Finding]:
    """The needs that do not fit: usage in scope plus what is needed above the applied limit.
    A need whose quota has no limit in ``limits`` (it could not be read) is not judged."""
    out: list[Finding] = []
    for need in wanted:
        limit = limits.get(need.code)
        if limit is None:
            continue
        quota = QUOTAS[need.code]
        in_use = need.in_use if need.in_use is not None else usage.of(need.code, need.scope)
        if in_use + need.needed > limit:
            scope = "" if need.scope in ("", "cluster") else need.scope
            out.append(
                Finding(
                    need.code,
                    quota.service,
                    quota.name,
                    scope,
                    float(limit),
                    in_use,
                    need.needed,
                    need.severity,
                    region,
                )
            )
    return out
