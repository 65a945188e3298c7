"""The fabric file schema, version 1: the whole file and its top-level keys.

The models are strict (no silent coercion: ``zones: "3"`` is an error, not 3) and frozen, and
reject unknown keys. Every check that can fail explains what is allowed. A check raises
:func:`~weft.fabricfile.checks.problem` errors (see :mod:`weft.fabricfile.checks`);
:mod:`weft.fabricfile.loader` turns them, and pydantic's built-in errors, into file:line messages.

A fabric is ``name``, ``region``, ``network`` (:mod:`weft.fabricfile.network`) and optional
sections: ``cluster`` (:mod:`weft.fabricfile.cluster`), ``nodegroups``
(:mod:`weft.fabricfile.nodegroup`), ``fargate`` (:mod:`weft.fabricfile.fargate`), ``databases``,
``caches`` and ``buckets`` (:mod:`weft.fabricfile.data`), ``dns`` (:mod:`weft.fabricfile.dns`),
``apps`` and ``cronjobs`` (:mod:`weft.fabricfile.apps`), ``observability``
(:mod:`weft.fabricfile.observability`). A list section written with no entries
(``databases:`` and nothing below) is empty.

Defaults that depend on other keys are resolved here: ``protect`` is true when the name contains
"prod"; ``environment`` is the name. Rules across sections are
:func:`weft.fabricfile.cross_check.cross_problems`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from weft.fabricfile.apps import (
    App,
    Autoscale,
    CronJob,
    Disruption,
    Health,
    Ingress,
    Resources,
    Rollout,
)
from weft.fabricfile.checks import (
    MODEL_CONFIG,
    Path,
    check_label,
    choice,
    describe,
    did_you_mean,
    none_as_empty,
    problem,
)
from weft.fabricfile.cluster import AUTO_MODE_ADDONS, Addon, Cluster, pod_identity_problems
from weft.fabricfile.cost import CostVolumes
from weft.fabricfile.cross_check import cross_problems
from weft.fabricfile.data import Bucket, Cache, Database
from weft.fabricfile.dns import Dns
from weft.fabricfile.env_vars import StoreKind
from weft.fabricfile.fargate import (
    FargateProfile,
    FargateSelector,
    coredns_on_fargate_problems,
)
from weft.fabricfile.k8s_names import MAX_LABEL_VALUE_LENGTH, is_label_value
from weft.fabricfile.network import Network
from weft.fabricfile.nodegroup import NodeGroup, Taint
from weft.fabricfile.observability import Observability, prometheus_problems
from weft.fabricfile.regions import REGION_ZONES, known_zones

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_TAGS",
    "PROVIDERS",
    "RESERVED_TAG_PREFIXES",
    "SCHEMA_VERSIONS",
    "USER_KEYS",
    "Fabric",
]

PROVIDERS = ("aws", "local")
SCHEMA_VERSIONS = (1,)
MAX_NAME_LENGTH = 30
MAX_TAGS = 40
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
RESERVED_TAG_PREFIXES = ("aws:", "weft:")
RESERVED_TAG_KEYS = ("Name",)

_ACCOUNT_RE = re.compile(r"[0-9]{12}")

Provider = Literal["aws", "local"]


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
    if not is_label_value(value):
        shown = describe(value) if value else "an empty name"
        raise problem(
            (
                (),
                f"{shown} is not a valid environment: it is the value of the Kubernetes label "
                f"'environment': 1 to {MAX_LABEL_VALUE_LENGTH} letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit",
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


# --- the model --------------------------------------------------------------------------------


class Fabric(BaseModel):
    """A whole fabric file. ``source`` is where it was read from; the loader sets it."""

    model_config = MODEL_CONFIG

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
    cost: CostVolumes = Field(default_factory=CostVolumes)
    observability: Observability = Field(default_factory=Observability)
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
    def _default_auto_mode_addons(cls, data: Any) -> Any:
        # Auto Mode runs the CNI, kube-proxy, CoreDNS and the EBS CSI driver on its own nodes;
        # node groups next to it still need them as add-ons.
        cluster = data.get("cluster") if isinstance(data, dict) else None
        if (
            isinstance(cluster, dict)
            and cluster.get("compute") == "auto"
            and "addons" not in cluster
            and not data.get("nodegroups")
        ):
            addons = {name: None for name in AUTO_MODE_ADDONS}
            data = {**data, "cluster": {**cluster, "addons": addons}}
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_environment(cls, data: Any) -> Any:
        if isinstance(data, dict) and "environment" not in data:
            name = data.get("name")
            if isinstance(name, str) and is_label_value(name):
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
            cluster=self.cluster,
        )
        if self.cluster is not None and not self.cluster.auto_mode:
            # on Auto Mode, CoreDNS runs on EKS's own nodes
            found.extend(
                coredns_on_fargate_problems(
                    self.cluster.addons, bool(self.nodegroups), self.fargate
                )
            )
            found.extend(pod_identity_problems(self.cluster, bool(self.nodegroups)))
        if self.observability.container_insights and self.cluster is None:
            found.append(
                (
                    ("observability", "container_insights"),
                    "Container Insights watches the cluster, and this fabric has none; add a "
                    "cluster section or remove observability.container_insights",
                )
            )
        if self.observability.prometheus is not None:
            found.extend(prometheus_problems(self.cluster))
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

    def store_kinds(self) -> dict[str, StoreKind]:
        """Each data store's name -> its kind: ``database``, ``cache`` or ``bucket``."""
        return {
            **{database.name: "database" for database in self.databases},
            **{cache.name: "cache" for cache in self.caches},
            **{bucket.name: "bucket" for bucket in self.buckets},
        }


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
