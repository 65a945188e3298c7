"""The network of a fabric file: the VPC's CIDR, its availability zones, NAT and subnet layout.

::

    network:
      cidr: 10.0.0.0/16          # /16 to /24, the network's first address
      zones: 3                   # a count (the region's first zones) or a list of zone names
      nat: single                # none | single | per-zone
      layout: private            # public | private
      subnet_size: 20            # optional: the prefix length of every subnet
      endpoints: false           # VPC endpoints for ECR, STS, EC2, CloudWatch Logs and S3
      flow_logs: {retention_days: 30}   # optional: the VPC's flow logs to CloudWatch Logs

Defaults resolved here: ``nat`` is ``single`` for layout private and ``none`` for layout public.
``flow_logs`` is off unless given; given, its ``retention_days`` (a CloudWatch Logs period) is 30
by default.
The subnets must fit (:func:`weft.fabricfile.subnets.plan_subnets`). Whether the zones exist in
the fabric's region is :func:`zone_problems`, which
:func:`weft.fabricfile.cross_check.cross_problems` calls.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, PlainValidator, model_validator

from weft.fabricfile.checks import MODEL_CONFIG, Path, choice, describe, problem
from weft.fabricfile.cluster import DEFAULT_LOG_RETENTION_DAYS, LOG_RETENTION_DAYS
from weft.fabricfile.regions import known_zones
from weft.fabricfile.subnets import MAX_SUBNET_PREFIX, plan_subnets

__all__ = [
    "LAYOUTS",
    "MAX_VPC_PREFIX",
    "MAX_ZONES",
    "MIN_VPC_PREFIX",
    "NATS",
    "FlowLogs",
    "Network",
    "zone_problems",
]

NATS = ("none", "single", "per-zone")
LAYOUTS = ("public", "private")
MAX_ZONES = 6
MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 24

_ZONE_SHAPE_RE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+[a-z]")

Nat = Literal["none", "single", "per-zone"]
Layout = Literal["public", "private"]


# --- field checks -----------------------------------------------------------------------------


def _check_cidr(value: str) -> str:
    example = "expected an IPv4 network like 10.0.0.0/16"
    if "/" not in value:
        raise problem(((), f"{describe(value)} has no prefix length; {example}"))
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise problem(((), f"{describe(value)} is not a valid CIDR; {example}")) from None
    if network.version != 4:
        raise problem(((), f"{describe(value)} is an IPv6 network; {example}"))
    assert isinstance(network, ipaddress.IPv4Network)
    if not MIN_VPC_PREFIX <= network.prefixlen <= MAX_VPC_PREFIX:
        raise problem(
            (
                (),
                f"prefix length /{network.prefixlen} is not allowed; expected /{MIN_VPC_PREFIX} to "
                f"/{MAX_VPC_PREFIX} (AWS allows /16 to /28 for a VPC, but weft needs room for "
                "subnets in every zone)",
            )
        )
    address = ipaddress.ip_address(value.split("/", 1)[0])
    if address != network.network_address:
        raise problem(
            (
                (),
                f"{describe(value)} has host bits set: the address must be the first one of the "
                f"network (did you mean {network}?)",
            )
        )
    return str(network)


def _check_zones(value: Any) -> int | list[str]:
    expected = f"expected a zone count from 1 to {MAX_ZONES} or a list of zone names"
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise problem(((), f"{value} is not allowed; at least one zone is needed; {expected}"))
        if value > MAX_ZONES:
            raise problem(((), f"{value} zones are too many; at most {MAX_ZONES} are supported"))
        return value
    if not isinstance(value, list):
        raise problem(((), f"{expected}, got {describe(value)}"))
    if not value:
        raise problem(
            ((), f"an empty list is not allowed; at least one zone is needed; {expected}")
        )
    found: list[tuple[Path, str]] = []
    if len(value) > MAX_ZONES:
        found.append(((), f"{len(value)} zones are too many; at most {MAX_ZONES} are supported"))
    first_seen: dict[str, int] = {}
    for index, zone in enumerate(value):
        if not isinstance(zone, str):
            found.append(
                ((index,), f"expected a zone name like 'us-east-2a', got {describe(zone)}")
            )
        elif not _ZONE_SHAPE_RE.fullmatch(zone):
            found.append(
                (
                    (index,),
                    f"{describe(zone)} is not a zone name; expected a region name followed by a "
                    "letter, like 'us-east-2a'",
                )
            )
        elif zone in first_seen:
            found.append(
                (
                    (index,),
                    f"{describe(zone)} is listed twice (first as network.zones"
                    f"[{first_seen[zone]}]); each zone may appear once",
                )
            )
        else:
            first_seen[zone] = index
    if found:
        raise problem(*found)
    return list(value)


def _check_subnet_size(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_SUBNET_PREFIX:
        raise problem(
            (
                (),
                f"/{value} is not a subnet size; expected a prefix length larger than the VPC's "
                f"and at most {MAX_SUBNET_PREFIX} (the smallest subnet AWS allows is a "
                f"/{MAX_SUBNET_PREFIX})",
            )
        )
    return value


def zone_problems(region: str, zones: int | list[str]) -> list[tuple[Path, str]]:
    """Problems of ``zones`` (a valid count or list) in ``region`` (a known region).

    Paths are relative to the fabric: ``("network", "zones")`` or ``("network", "zones", i)``.
    """
    known = known_zones(region)
    if known is None:
        return []
    found: list[tuple[Path, str]] = []
    if isinstance(zones, int):
        if zones > len(known):
            found.append(
                (
                    ("network", "zones"),
                    f"{region} has {len(known)} availability zones ({', '.join(known)}); "
                    f"asked for {zones}",
                )
            )
        return found
    for index, zone in enumerate(zones):
        suffix = zone[len(region) :] if zone.startswith(region) else ""
        if not (len(suffix) == 1 and suffix.isalpha()):
            found.append(
                (
                    ("network", "zones", index),
                    f"{describe(zone)} is not a zone of region {region}; expected {region} "
                    f"followed by a letter, one of: {', '.join(known)}",
                )
            )
        elif zone not in known:
            found.append(
                (
                    ("network", "zones", index),
                    f"{describe(zone)} is not a known availability zone of {region}; expected one "
                    f"of: {', '.join(known)}",
                )
            )
    return found


# --- the model --------------------------------------------------------------------------------


def _check_flow_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise problem(
            (
                (),
                f"{value} days is not a retention CloudWatch Logs offers; one of: "
                f"{', '.join(str(days) for days in LOG_RETENTION_DAYS)}",
            )
        )
    return value


class FlowLogs(BaseModel):
    """The VPC's flow logs, sent to a CloudWatch Logs group weft makes (encrypted with the
    fabric key, kept ``retention_days``)."""

    model_config = MODEL_CONFIG

    retention_days: Annotated[int, AfterValidator(_check_flow_retention)] = (
        DEFAULT_LOG_RETENTION_DAYS
    )


class Network(BaseModel):
    """The VPC: its CIDR, zones, NAT and subnet layout."""

    model_config = MODEL_CONFIG

    cidr: Annotated[str, AfterValidator(_check_cidr)]
    zones: Annotated[int | list[str], PlainValidator(_check_zones)] = 3
    nat: Annotated[Nat, BeforeValidator(choice(NATS))] = "single"
    layout: Annotated[Layout, BeforeValidator(choice(LAYOUTS))] = "private"
    subnet_size: Annotated[int | None, AfterValidator(_check_subnet_size)] = None
    #: VPC endpoints (:data:`weft.model.network.INTERFACE_ENDPOINTS` and S3's gateway), so that
    #: nodes in private subnets reach ECR, STS, EC2, CloudWatch Logs and S3 without NAT
    endpoints: bool = False
    flow_logs: FlowLogs | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_nat(cls, data: Any) -> Any:
        if isinstance(data, dict) and "nat" not in data:
            data = {**data, "nat": "none" if data.get("layout") == "public" else "single"}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> Network:
        found: list[tuple[Path, str]] = []
        if self.layout == "public" and self.nat != "none":
            found.append(
                (
                    ("nat",),
                    f"{self.nat!r} is not allowed with layout public: a public layout has no "
                    "private subnets to give internet access through NAT; expected: none "
                    "(or use layout: private)",
                )
            )
        if self.endpoints and self.layout != "private":
            found.append(
                (
                    ("endpoints",),
                    "VPC endpoints serve private subnets, and layout public has none "
                    "(use layout: private, or remove endpoints)",
                )
            )
        count = self.zone_count()
        try:
            plan_subnets(
                self.cidr, [f"zone-{i}" for i in range(count)], self.layout, self.subnet_size
            )
        except ValueError as error:
            where: Path = ("subnet_size",) if self.subnet_size is not None else ("cidr",)
            found.append((where, f"subnets do not fit: {error}"))
        if found:
            raise problem(*found)
        return self

    def zone_count(self) -> int:
        """How many availability zones the network spans."""
        return self.zones if isinstance(self.zones, int) else len(self.zones)
