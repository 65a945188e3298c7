"""The fabric file schema, version 1: pydantic models with weft's own validation wording.

The models are strict (no silent coercion: ``zones: "3"`` is an error, not 3) and frozen, and
reject unknown keys. Every check that can fail explains what is allowed. A check raises
:func:`problem` errors (see :mod:`weft.fabricfile.checks`); :mod:`weft.fabricfile.loader` turns
them, and pydantic's built-in errors, into file:line messages.

A fabric is ``name``, ``region``, ``network`` and optional sections: ``cluster``, ``nodegroups``
and ``fargate`` (:mod:`weft.fabricfile.cluster`), ``databases``, ``caches`` and ``buckets``
(:mod:`weft.fabricfile.data`), ``dns`` (:mod:`weft.fabricfile.dns`), ``apps`` and ``cronjobs``
(:mod:`weft.fabricfile.apps`). A list section written with no entries (``databases:`` and nothing
below) is empty.

Defaults that depend on other keys are resolved here: ``protect`` is true when the name contains
"prod"; ``environment`` is the name; ``nat`` is ``single`` for layout private and ``none`` for
layout public. Rules across sections (zones of the region, names shared by databases, caches and
buckets, what needs a cluster, private subnets or two zones, what apps and cron jobs refer to)
are :func:`cross_problems`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    model_validator,
)

from weft.fabricfile.apps import (
    App,
    Autoscale,
    CronJob,
    Disruption,
    Health,
    Ingress,
    Resources,
    Rollout,
    StoreKind,
    workload_problems,
)
from weft.fabricfile.checks import (
    PROBLEM,
    Path,
    check_label,
    choice,
    describe,
    did_you_mean,
    none_as_empty,
    problem,
    suggestions,
)
from weft.fabricfile.cluster import (
    SUPPORTED_K8S_VERSIONS,
    Addon,
    Cluster,
    FargateProfile,
    FargateSelector,
    NodeGroup,
    Taint,
)
from weft.fabricfile.data import Bucket, Cache, Database
from weft.fabricfile.dns import Dns
from weft.fabricfile.regions import REGION_ZONES, known_zones
from weft.fabricfile.subnets import MAX_SUBNET_PREFIX, plan_subnets

__all__ = [
    "LAYOUTS",
    "MAX_ZONES",
    "NATS",
    "PROBLEM",
    "PROVIDERS",
    "SCHEMA_VERSIONS",
    "USER_KEYS",
    "Addon",
    "App",
    "Autoscale",
    "Bucket",
    "Cache",
    "Cluster",
    "CronJob",
    "Database",
    "Disruption",
    "Dns",
    "Fabric",
    "FargateProfile",
    "FargateSelector",
    "Health",
    "Ingress",
    "Network",
    "NodeGroup",
    "Path",
    "Resources",
    "Rollout",
    "Taint",
    "cross_problems",
    "describe",
    "did_you_mean",
    "problem",
    "suggestions",
    "zone_problems",
]

NATS = ("none", "single", "per-zone")
LAYOUTS = ("public", "private")
PROVIDERS = ("aws", "local")
SCHEMA_VERSIONS = (1,)
MAX_ZONES = 6
MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 24
MAX_NAME_LENGTH = 30
MAX_TAGS = 40
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
RESERVED_TAG_PREFIXES = ("aws:", "weft:")
RESERVED_TAG_KEYS = ("Name",)

_ACCOUNT_RE = re.compile(r"[0-9]{12}")
_LABEL_VALUE_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?")
MAX_LABEL_VALUE_LENGTH = 63
_ZONE_SHAPE_RE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+[a-z]")


# --- field checks -----------------------------------------------------------------------------


def _check_version(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value in SCHEMA_VERSIONS:
        return value
    supported = ", ".join(str(v) for v in SCHEMA_VERSIONS)
    raise problem(
        ((), f"schema version {describe(value)} is not supported; expected one of: {supported}")
    )


_check_name = check_label(MAX_NAME_LENGTH, "the name becomes part of AWS resource names")


def _check_environment(value: str) -> str:
    if not value or len(value) > MAX_LABEL_VALUE_LENGTH or not _LABEL_VALUE_RE.fullmatch(value):
        shown = describe(value) if value else "an empty name"
        raise problem(
            (
                (),
                f"{shown} is not a valid environment: it is the value of the Kubernetes label "
                "'environment': 1 to 63 letters, digits, '-', '_' or '.', starting and ending "
                "with a letter or digit",
            )
        )
    return value


def _check_region(value: str) -> str:
    if value in REGION_ZONES:
        return value
    hint = did_you_mean(value, REGION_ZONES)
    if hint:
        raise problem(((), f"{describe(value)} is not a known AWS region{hint}"))
    raise problem(
        (
            (),
            f"{describe(value)} is not a known AWS region; expected one of: "
            + ", ".join(REGION_ZONES),
        )
    )


def _check_account_id(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        digits = str(value)
        if _ACCOUNT_RE.fullmatch(digits):
            return digits
        raise problem(
            (
                (),
                f"{value} has {len(digits)} digits, but an AWS account id has exactly 12; YAML "
                f"read it as a number, which drops leading zeros: write it in quotes, e.g. "
                f'account_id: "{digits.zfill(12)}"',
            )
        )
    if isinstance(value, str) and not _ACCOUNT_RE.fullmatch(value):
        raise problem(
            ((), f"{describe(value)} is not an AWS account id; expected exactly 12 digits")
        )
    return value


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    found: list[tuple[Path, str]] = []
    if len(tags) > MAX_TAGS:
        found.append(((), f"{len(tags)} tags given; at most {MAX_TAGS} are allowed"))
    for key, value in tags.items():
        if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            found.append(
                (
                    (key,),
                    f"tag key is {len(key)} characters long; expected 1 to {MAX_TAG_KEY_LENGTH}",
                )
            )
        elif key.lower().startswith(RESERVED_TAG_PREFIXES):
            prefixes = " or ".join(repr(p) for p in RESERVED_TAG_PREFIXES)
            found.append(
                (
                    (key,),
                    f"tag key {describe(key)} is reserved; keys may not start with {prefixes} "
                    "(AWS and weft set those)",
                )
            )
        elif key in RESERVED_TAG_KEYS:
            found.append(
                (
                    (key,),
                    f"tag key {describe(key)} is reserved; weft sets each resource's Name tag",
                )
            )
        if len(value) > MAX_TAG_VALUE_LENGTH:
            found.append(
                (
                    (key,),
                    f"tag value is {len(value)} characters long; at most {MAX_TAG_VALUE_LENGTH} "
                    "are allowed",
                )
            )
    if found:
        raise problem(*found)
    return tags


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


def cross_problems(
    region: str | None,
    network: Network | None,
    *,
    has_cluster: bool,
    nodegroups: Sequence[str | None] | None,
    fargate: Sequence[str | None] | None,
    databases: Sequence[str | None] | None,
    caches: Sequence[str | None] | None,
    buckets: Sequence[str | None] | None,
    apps: Sequence[App | str | None] | None = (),
    cronjobs: Sequence[CronJob | str | None] | None = (),
    has_dns: bool = False,
    domain: str | None = None,
) -> list[tuple[Path, str]]:
    """The rules across sections of a fabric; paths are relative to the fabric.

    The list sections are given as the names of their entries: the rules need no more, except
    for apps and cron jobs, given as their models (or only their names when they are not valid;
    see :func:`weft.fabricfile.apps.workload_problems`). It works on a partly valid file too (the
    loader calls it when other keys failed): ``region`` or ``network`` is None when it is not
    valid, a list section is None when it is not a list, and a name is None when it is not valid.
    Checks that need something unknown are skipped. ``has_cluster`` and ``has_dns`` tell whether
    a cluster or dns section is written (valid or not); ``domain`` is the valid DNS domain.
    """
    found: list[tuple[Path, str]] = []
    if region is not None and network is not None:
        found.extend(zone_problems(region, network.zones))
    needs_cluster = (
        ("nodegroups", nodegroups, "node groups"),
        ("fargate", fargate, "Fargate profiles"),
    )
    for key, entries, what in needs_cluster:
        if entries and not has_cluster:
            found.append(
                (
                    (key,),
                    f"{what} need a cluster, and this fabric has none; add a cluster section "
                    f'(e.g. cluster: {{version: "{SUPPORTED_K8S_VERSIONS[-1]}"}}) or remove {key}',
                )
            )
    if network is not None:
        count = network.zone_count()
        zones = f"this fabric has {count} (network.zones)"
        if has_cluster and count < 2:
            found.append(
                (
                    ("cluster",),
                    f"an EKS cluster needs subnets in at least two availability zones; {zones}",
                )
            )
        # (key, entries, what, why two zones are needed or None)
        private_only: tuple[tuple[str, Sequence[Any] | None, str, str | None], ...] = (
            ("fargate", fargate, "a Fargate profile", None),
            ("databases", databases, "a database", "an RDS subnet group spans two zones"),
            ("caches", caches, "a cache", "Multi-AZ failover spans two zones"),
        )
        for key, entries, what, why in private_only:
            if not entries:
                continue
            if network.layout != "private":
                found.append(
                    (
                        (key, 0),
                        f"{what} needs private subnets; this fabric's layout is "
                        f"{network.layout} (use network.layout: private)",
                    )
                )
            if why is not None and count < 2:
                found.append(
                    (
                        (key, 0),
                        f"{what} needs subnets in at least two availability zones ({why}); {zones}",
                    )
                )
    for key, entries, what in (
        ("nodegroups", nodegroups, "node group"),
        ("fargate", fargate, "Fargate profile"),
    ):
        first: dict[str, int] = {}
        for index, name in enumerate(entries or []):
            if name is None:
                continue
            seen = first.setdefault(name, index)
            if seen != index:
                found.append(
                    (
                        (key, index, "name"),
                        f"the name {name!r} is already used (first as {key}[{seen}]); "
                        f"each {what} needs its own name",
                    )
                )
    shared: dict[str, tuple[str, int, str]] = {}
    for key, data_entries, what in (
        ("databases", databases, "database"),
        ("caches", caches, "cache"),
        ("buckets", buckets, "bucket"),
    ):
        for index, name in enumerate(data_entries or []):
            if name is None:
                continue
            earlier = shared.setdefault(name, (key, index, what))
            if earlier != (key, index, what):
                found.append(
                    (
                        (key, index, "name"),
                        f"{name!r} clashes with the {earlier[2]} of the same name (first as "
                        f"{earlier[0]}[{earlier[1]}]); databases, caches and buckets share one "
                        "namespace, so each name may be used once",
                    )
                )
    stores: dict[str, StoreKind] | None = {}
    store_sections: tuple[tuple[StoreKind, Sequence[str | None] | None], ...] = (
        ("database", databases),
        ("cache", caches),
        ("bucket", buckets),
    )
    for kind, names in store_sections:
        if stores is None or names is None or None in names:
            stores = None
            continue
        for store in names:
            assert store is not None
            stores.setdefault(store, kind)
    found.extend(
        workload_problems(
            apps,
            cronjobs,
            has_cluster=has_cluster,
            has_dns=has_dns,
            domain=domain,
            stores=stores,
        )
    )
    return found


# --- models -----------------------------------------------------------------------------------

Nat = Literal["none", "single", "per-zone"]
Layout = Literal["public", "private"]
Provider = Literal["aws", "local"]


class Network(BaseModel):
    """The VPC: its CIDR, zones, NAT and subnet layout."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    cidr: Annotated[str, AfterValidator(_check_cidr)]
    zones: Annotated[int | list[str], PlainValidator(_check_zones)] = 3
    nat: Annotated[Nat, BeforeValidator(choice(NATS))] = "single"
    layout: Annotated[Layout, BeforeValidator(choice(LAYOUTS))] = "private"
    subnet_size: Annotated[int | None, AfterValidator(_check_subnet_size)] = None

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


class Fabric(BaseModel):
    """A whole fabric file. ``source`` is where it was read from; the loader sets it."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    name: Annotated[str, AfterValidator(_check_name)]
    region: Annotated[str, AfterValidator(_check_region)]
    account_id: Annotated[str | None, BeforeValidator(_check_account_id)] = None
    provider: Annotated[Provider, BeforeValidator(choice(PROVIDERS))] = "aws"
    protect: bool = False
    tags: Annotated[dict[str, str], AfterValidator(_check_tags)] = Field(default_factory=dict)
    # Always set after validation (the default is resolved from name).
    environment: Annotated[str, AfterValidator(_check_environment)] = ""
    network: Network
    cluster: Cluster | None = None
    nodegroups: Annotated[list[NodeGroup], BeforeValidator(none_as_empty(list))] = Field(
        default_factory=list
    )
    fargate: Annotated[list[FargateProfile], BeforeValidator(none_as_empty(list))] = Field(
        default_factory=list
    )
    databases: Annotated[list[Database], BeforeValidator(none_as_empty(list))] = Field(
        default_factory=list
    )
    caches: Annotated[list[Cache], BeforeValidator(none_as_empty(list))] = Field(
        default_factory=list
    )
    buckets: Annotated[list[Bucket], BeforeValidator(none_as_empty(list))] = Field(
        default_factory=list
    )
    dns: Dns | None = None
    apps: Annotated[list[App], BeforeValidator(none_as_empty(list))] = Field(default_factory=list)
    cronjobs: Annotated[list[CronJob], BeforeValidator(none_as_empty(list))] = Field(
        default_factory=list
    )
    version: Annotated[Literal[1], BeforeValidator(_check_version)] = 1
    source: str = Field(default="<string>", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _default_protect(cls, data: Any) -> Any:
        if isinstance(data, dict) and "protect" not in data:
            name = data.get("name")
            data = {**data, "protect": isinstance(name, str) and "prod" in name}
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_environment(cls, data: Any) -> Any:
        if isinstance(data, dict) and "environment" not in data:
            name = data.get("name")
            if isinstance(name, str) and _LABEL_VALUE_RE.fullmatch(name) and len(name) <= 63:
                data = {**data, "environment": name}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> Fabric:
        found = cross_problems(
            self.region,
            self.network,
            has_cluster=self.cluster is not None,
            nodegroups=[entry.name for entry in self.nodegroups],
            fargate=[entry.name for entry in self.fargate],
            databases=[entry.name for entry in self.databases],
            caches=[entry.name for entry in self.caches],
            buckets=[entry.name for entry in self.buckets],
            apps=self.apps,
            cronjobs=self.cronjobs,
            has_dns=self.dns is not None,
            domain=self.dns.domain if self.dns is not None else None,
        )
        if found:
            raise problem(*found)
        return self

    def zone_count(self) -> int:
        """How many availability zones the fabric spans."""
        return self.network.zone_count()

    def zone_names(self) -> list[str]:
        """The zone names: the explicit list, or the first ``zones`` of the region's static table.

        The cloud's own zone list is the final truth; code that talks to AWS checks it at plan
        time.
        """
        if isinstance(self.network.zones, list):
            return list(self.network.zones)
        known = known_zones(self.region) or []
        return known[: self.network.zones]


#: The keys a user may write at each level (``source`` is set by the loader, not the file).
USER_KEYS: dict[type[BaseModel], tuple[str, ...]] = {
    Fabric: tuple(name for name in Fabric.model_fields if name != "source"),
    **{
        model: tuple(model.model_fields)
        for model in (
            Network,
            Cluster,
            Addon,
            NodeGroup,
            Taint,
            FargateProfile,
            FargateSelector,
            Database,
            Cache,
            Bucket,
            Dns,
            App,
            Resources,
            Health,
            Ingress,
            Autoscale,
            Disruption,
            Rollout,
            CronJob,
        )
    },
}
