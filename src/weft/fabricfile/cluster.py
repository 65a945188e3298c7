"""The Kubernetes part of a fabric file: the EKS cluster, its node groups and Fargate profiles.

::

    cluster:
      version: "1.31"            # text "1.NN", one of SUPPORTED_K8S_VERSIONS
      endpoint: both             # public | private | both
      api_cidrs: ["0.0.0.0/0"]   # who may reach the public endpoint; none when endpoint is private
      logs: [api, audit, authenticator]
      encrypt_secrets: true      # envelope encryption of Kubernetes secrets with the fabric KMS key
      addons: {vpc-cni: {version: null}, ...}
    nodegroups:
      - {name: general, instance_types: [m6i.large], min: 2, max: 6}
    fargate:
      - {name: system, selectors: [{namespace: kube-system}]}

Defaults resolved here: ``api_cidrs`` is ``["0.0.0.0/0"]``, or empty for a private endpoint;
``addons`` is all of :data:`ADDONS` (each at the version EKS picks) when the key is omitted, and
exactly the listed ones when it is given; a node group's ``desired`` is ``max(min, 1)`` clipped
to ``max``.

Rules that involve other sections (a cluster needs two zones; node groups and Fargate profiles
need a cluster) live in :func:`weft.fabricfile.schema.cross_problems`. Whether an upgrade from the
version running in the cloud is possible is :func:`check_version_step`, called at plan time.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    model_validator,
)

from weft.fabricfile.checks import (
    Path,
    check_in_range,
    check_label,
    check_unique,
    choice,
    describe,
    did_you_mean,
    ipv4_network_problem,
    none_as_empty,
    problem,
    quote_hint,
)

__all__ = [
    "ADDONS",
    "DEFAULT_API_CIDRS",
    "DEFAULT_LOGS",
    "ENDPOINTS",
    "LOG_TYPES",
    "SUPPORTED_K8S_VERSIONS",
    "TAINT_EFFECTS",
    "Addon",
    "Cluster",
    "FargateProfile",
    "FargateSelector",
    "NodeGroup",
    "Taint",
    "check_version_step",
    "k8s_minor",
]

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
Endpoint = Literal["public", "private", "both"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

#: The Kubernetes versions weft creates EKS clusters with, oldest first.
SUPPORTED_K8S_VERSIONS = ("1.28", "1.29", "1.30", "1.31", "1.32", "1.33")
ENDPOINTS = ("public", "private", "both")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
DEFAULT_LOGS: tuple[LogType, ...] = ("api", "audit", "authenticator")
DEFAULT_API_CIDRS = ("0.0.0.0/0",)
#: The EKS managed add-ons weft installs; all of them unless ``addons`` says otherwise.
ADDONS = ("vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
MAX_API_CIDRS = 40
MAX_INSTANCE_TYPES = 20
MAX_TAINTS = 50
MAX_SELECTORS = 5
MAX_COMPUTE_NAME_LENGTH = 20
MIN_DISK_GB = 20
MAX_DISK_GB = 16384

_K8S_VERSION_RE = re.compile(r"1\.([0-9]{1,2})")
_ADDON_VERSION_RE = re.compile(r"v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+")
_INSTANCE_TYPE_RE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")
_K8S_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_SUBDOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
_NAMESPACE_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")

_MODEL_CONFIG = ConfigDict(frozen=True, extra="forbid", strict=True)


# --- versions ---------------------------------------------------------------------------------


def k8s_minor(version: str) -> int:
    """The minor number of a Kubernetes version: ``k8s_minor("1.31") == 31``.

    Raises ValueError for anything but ``1.N`` (a patch part, as in ``1.31.2``, is not accepted).
    """
    match = _K8S_VERSION_RE.fullmatch(version)
    if not match:
        raise ValueError(f"{version!r} is not a Kubernetes version like '1.31'")
    return int(match.group(1))


def check_version_step(current: str, wanted: str) -> str | None:
    """Why a running cluster at ``current`` cannot be moved to ``wanted``, or None if it can.

    EKS only upgrades, and one minor version at a time. Raises ValueError when either is not a
    ``1.N`` version.
    """
    have, want = k8s_minor(current), k8s_minor(wanted)
    if want < have:
        return (
            f"the cluster runs Kubernetes {current} and downgrades are not possible; "
            f'set version: "{current}" (or a later version)'
        )
    if want > have + 1:
        return (
            f"the cluster runs Kubernetes {current} and cannot move to {wanted} in one step; "
            f"EKS upgrades one minor version at a time: {current} → 1.{have + 1} first"
        )
    return None


def _check_k8s_version(value: Any) -> str:
    supported = ", ".join(SUPPORTED_K8S_VERSIONS)
    if isinstance(value, float | int) and not isinstance(value, bool):
        # 1.30 reads as the number 1.3: suggest the version that lost its trailing zero.
        candidates = [
            text for text in (repr(value), f"{value!r}0") if text in SUPPORTED_K8S_VERSIONS
        ]
        example = candidates[0] if candidates else SUPPORTED_K8S_VERSIONS[-1]
        raise problem(((), quote_hint(value, "version", example)))
    if not isinstance(value, str):
        raise problem(
            ((), f'expected a Kubernetes version in quotes like "1.31", got {describe(value)}')
        )
    if value in SUPPORTED_K8S_VERSIONS:
        return value
    if not _K8S_VERSION_RE.fullmatch(value):
        hint = did_you_mean(value, SUPPORTED_K8S_VERSIONS)
        raise problem(
            (
                (),
                f"{describe(value)} is not a Kubernetes version; expected major.minor like "
                f'"1.31", one of: {supported}{hint}',
            )
        )
    too = "old" if k8s_minor(value) < k8s_minor(SUPPORTED_K8S_VERSIONS[0]) else "new"
    hint = f" (did you mean '{value}0'?)" if f"{value}0" in SUPPORTED_K8S_VERSIONS else ""
    raise problem(
        (
            (),
            f"Kubernetes {value} is not supported (too {too}); expected one of: {supported}{hint}",
        )
    )


def _check_addon_version(value: str | None) -> str | None:
    if value is not None and not _ADDON_VERSION_RE.fullmatch(value):
        raise problem(
            (
                (),
                f"{describe(value)} is not an EKS add-on version; expected one like "
                "'v1.18.3-eksbuild.1', or null for the version EKS picks for the cluster",
            )
        )
    return value


# --- cluster ----------------------------------------------------------------------------------


def _check_api_cidrs(value: list[str]) -> list[str]:
    found: list[tuple[Path, str]] = []
    if len(value) > MAX_API_CIDRS:
        found.append(((), f"{len(value)} CIDRs given; EKS allows at most {MAX_API_CIDRS}"))
    normalized: list[str] = []
    for index, cidr in enumerate(value):
        message, network = ipv4_network_problem(
            cidr, "expected an IPv4 network like 203.0.113.0/24 (or 0.0.0.0/0 for anywhere)"
        )
        if message is not None:
            found.append(((index,), message))
        normalized.append(network or cidr)
    found.extend(check_unique(normalized, "CIDR", "cluster.api_cidrs"))
    if found:
        raise problem(*found)
    return normalized


def _check_logs(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise problem(
            ((), f"expected a list of log types ({', '.join(LOG_TYPES)}), got {describe(value)}")
        )
    found: list[tuple[Path, str]] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or item not in LOG_TYPES:
            hint = did_you_mean(item, LOG_TYPES) if isinstance(item, str) else ""
            found.append(
                (
                    (index,),
                    f"{describe(item)} is not an EKS control plane log type; expected some of: "
                    f"{', '.join(LOG_TYPES)}{hint}",
                )
            )
    found.extend(check_unique(value, "log type", "cluster.logs"))
    if found:
        raise problem(*found)
    return list(value)


def _check_addon_names(value: Any) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict):
        return value  # pydantic's own error says a mapping is expected
    found: list[tuple[Path, str]] = []
    for name in value:
        if name not in ADDONS:
            found.append(
                (
                    (name,),
                    f"{describe(name)} is not an add-on weft manages; expected some of: "
                    f"{', '.join(ADDONS)}{did_you_mean(name, ADDONS)}",
                )
            )
    if found:
        raise problem(*found)
    # `vpc-cni:` with nothing after it means the version EKS picks.
    return {name: {} if addon is None else addon for name, addon in value.items()}


class Addon(BaseModel):
    """An EKS managed add-on; ``version`` None lets EKS pick the default for the cluster."""

    model_config = _MODEL_CONFIG

    version: Annotated[str | None, AfterValidator(_check_addon_version)] = None


def _all_addons() -> dict[str, Addon]:
    return {name: Addon() for name in ADDONS}


class Cluster(BaseModel):
    """The EKS cluster: Kubernetes version, API endpoint access, logging, encryption, add-ons."""

    model_config = _MODEL_CONFIG

    version: Annotated[str, PlainValidator(_check_k8s_version)]
    endpoint: Annotated[Endpoint, BeforeValidator(choice(ENDPOINTS))] = "both"
    api_cidrs: Annotated[
        list[str], BeforeValidator(none_as_empty(list)), AfterValidator(_check_api_cidrs)
    ] = Field(default_factory=lambda: list(DEFAULT_API_CIDRS))
    logs: Annotated[list[LogType], PlainValidator(_check_logs)] = Field(
        default_factory=lambda: list(DEFAULT_LOGS)
    )
    encrypt_secrets: bool = True
    addons: Annotated[dict[str, Addon], BeforeValidator(_check_addon_names)] = Field(
        default_factory=_all_addons
    )

    @model_validator(mode="before")
    @classmethod
    def _default_api_cidrs(cls, data: Any) -> Any:
        if isinstance(data, dict) and "api_cidrs" not in data and data.get("endpoint") == "private":
            data = {**data, "api_cidrs": []}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> Cluster:
        if self.endpoint == "private" and self.api_cidrs:
            raise problem(
                (
                    ("api_cidrs",),
                    "not allowed with endpoint private: a private endpoint is reachable from "
                    "inside the VPC only, so there is no public access to restrict; remove "
                    "api_cidrs or use endpoint: both",
                )
            )
        if self.endpoint != "private" and not self.api_cidrs:
            # EKS reads an empty list as 0.0.0.0/0: it would open what the user meant to close.
            raise problem(
                (
                    ("api_cidrs",),
                    f"an empty list is not allowed with endpoint {self.endpoint}: the public "
                    "endpoint would be open to everyone; list the networks that may reach it "
                    "(e.g. [203.0.113.0/24]) or use endpoint: private",
                )
            )
        return self


# --- Kubernetes labels and taints -------------------------------------------------------------


def _label_key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _SUBDOMAIN_RE.fullmatch(prefix)):
        return (
            f"{describe(key)} has an invalid prefix {describe(prefix)}; a prefix is a lowercase "
            "DNS subdomain (like example.com) of at most 253 characters, followed by '/'"
        )
    if not name or len(name) > 63 or not _K8S_NAME_RE.fullmatch(name):
        return (
            f"{describe(key)} is not a Kubernetes label key; expected an optional prefix "
            "(a DNS subdomain and '/') and a name of 1 to 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def _label_value_problem(value: str) -> str | None:
    if value and (len(value) > 63 or not _K8S_NAME_RE.fullmatch(value)):
        return (
            f"{describe(value)} is not a Kubernetes label value; expected at most 63 letters, "
            "digits, '-', '_' or '.', starting and ending with a letter or digit (or empty)"
        )
    return None


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    found: list[tuple[Path, str]] = []
    for key, value in labels.items():
        message = _label_key_problem(key) or _label_value_problem(value)
        if message is not None:
            found.append(((key,), message))
    if found:
        raise problem(*found)
    return labels


def _check_taint_key(key: str) -> str:
    message = _label_key_problem(key)
    if message is not None:
        raise problem(((), message.replace("label key", "taint key")))
    return key


def _check_taint_value(value: str) -> str:
    message = _label_value_problem(value)
    if message is not None:
        raise problem(((), message.replace("label value", "taint value")))
    return value


Labels = Annotated[
    dict[str, str], BeforeValidator(none_as_empty(dict)), AfterValidator(_check_labels)
]


class Taint(BaseModel):
    """A Kubernetes taint put on every node of a node group."""

    model_config = _MODEL_CONFIG

    key: Annotated[str, AfterValidator(_check_taint_key)]
    value: Annotated[str, AfterValidator(_check_taint_value)] = ""
    effect: Annotated[TaintEffect, BeforeValidator(choice(TAINT_EFFECTS))]


# --- node groups ------------------------------------------------------------------------------


def _instance_type_hint(value: str) -> str:
    guess = value.strip().lower().replace("_", ".")
    for prefix in ("db.", "cache.", "ec2."):
        if guess.startswith(prefix) and guess.count(".") >= 2:
            guess = guess[len(prefix) :]
    if "." not in guess and "-" in guess:
        head, _, tail = guess.rpartition("-")
        guess = f"{head}.{tail}"
    if guess != value and _INSTANCE_TYPE_RE.fullmatch(guess):
        return f" (did you mean {guess!r}?)"
    return ""


def _check_instance_types(value: list[str]) -> list[str]:
    if not value:
        raise problem(
            ((), "an empty list is not allowed; give at least one instance type, e.g. [m6i.large]")
        )
    found: list[tuple[Path, str]] = []
    if len(value) > MAX_INSTANCE_TYPES:
        found.append(
            (
                (),
                f"{len(value)} instance types given; a node group allows at most "
                f"{MAX_INSTANCE_TYPES}",
            )
        )
    for index, item in enumerate(value):
        if not _INSTANCE_TYPE_RE.fullmatch(item):
            found.append(
                (
                    (index,),
                    f"{describe(item)} is not an EC2 instance type; expected family.size like "
                    f"m6i.large, t3.medium or c7g.2xlarge{_instance_type_hint(item)}",
                )
            )
    found.extend(check_unique(value, "instance type", "instance_types"))
    if found:
        raise problem(*found)
    return value


def _check_taints(value: list[Taint]) -> list[Taint]:
    found: list[tuple[Path, str]] = []
    if len(value) > MAX_TAINTS:
        found.append(((), f"{len(value)} taints given; a node group allows at most {MAX_TAINTS}"))
    first_seen: dict[tuple[str, str], int] = {}
    for index, taint in enumerate(value):
        seen = first_seen.setdefault((taint.key, taint.effect), index)
        if seen != index:
            found.append(
                (
                    (index,),
                    f"a taint with key {taint.key!r} and effect {taint.effect} is listed twice "
                    f"(first as taints[{seen}]); Kubernetes allows one per key and effect",
                )
            )
    if found:
        raise problem(*found)
    return value


def _check_min(value: int) -> int:
    if value < 0:
        raise problem(((), f"{value} is out of range; min is a number of nodes, 0 or more"))
    return value


def _check_max(value: int) -> int:
    if value < 1:
        raise problem(((), f"{value} is out of range; max is a number of nodes, 1 or more"))
    return value


class NodeGroup(BaseModel):
    """An EKS managed node group: EC2 instances that join the cluster, scaled from min to max."""

    model_config = _MODEL_CONFIG

    name: Annotated[
        str,
        AfterValidator(
            check_label(MAX_COMPUTE_NAME_LENGTH, "it becomes part of the node group's AWS name")
        ),
    ]
    instance_types: Annotated[list[str], AfterValidator(_check_instance_types)]
    min: Annotated[int, AfterValidator(_check_min)]
    max: Annotated[int, AfterValidator(_check_max)]
    # Always set after validation (the default is resolved from min and max).
    desired: int = 1
    spot: bool = False
    disk_gb: Annotated[
        int, AfterValidator(check_in_range(MIN_DISK_GB, MAX_DISK_GB, "a disk size in GB"))
    ] = 50
    labels: Labels = Field(default_factory=dict)
    taints: Annotated[
        list[Taint], BeforeValidator(none_as_empty(list)), AfterValidator(_check_taints)
    ] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _default_desired(cls, data: Any) -> Any:
        if isinstance(data, dict) and "desired" not in data:
            low, high = data.get("min"), data.get("max")
            if _is_int(low) and _is_int(high):
                data = {**data, "desired": min(max(low, 1), high)}
        return data

    @model_validator(mode="after")
    def _cross_check(self) -> NodeGroup:
        if self.min > self.max:
            raise problem(
                (
                    ("min",),
                    f"min {self.min} is larger than max {self.max}; the group scales between "
                    "them, so min must be at most max",
                )
            )
        if not self.min <= self.desired <= self.max:
            raise problem(
                (
                    ("desired",),
                    f"desired {self.desired} is outside the range from min {self.min} to max "
                    f"{self.max}; expected a node count from {self.min} to {self.max}",
                )
            )
        return self


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --- Fargate ----------------------------------------------------------------------------------


def _check_namespace(value: str) -> str:
    if len(value) > 63 or not _NAMESPACE_RE.fullmatch(value):
        raise problem(
            (
                (),
                f"{describe(value) if value else 'an empty name'} is not a Kubernetes namespace; "
                "expected lowercase letters, digits and hyphens, starting and ending with a "
                "letter or digit, 1 to 63 characters",
            )
        )
    return value


def _check_selectors(value: list[FargateSelector]) -> list[FargateSelector]:
    if not value:
        raise problem(
            (
                (),
                "an empty list is not allowed; a Fargate profile needs at least one selector, "
                "e.g. selectors: [{namespace: default}]",
            )
        )
    if len(value) > MAX_SELECTORS:
        raise problem(
            ((), f"{len(value)} selectors given; a Fargate profile allows at most {MAX_SELECTORS}")
        )
    return value


class FargateSelector(BaseModel):
    """Pods in ``namespace`` (and, if given, with all of ``labels``) run on Fargate."""

    model_config = _MODEL_CONFIG

    namespace: Annotated[str, AfterValidator(_check_namespace)]
    labels: Labels = Field(default_factory=dict)


class FargateProfile(BaseModel):
    """An EKS Fargate profile: which pods run on Fargate instead of nodes."""

    model_config = _MODEL_CONFIG

    name: Annotated[
        str,
        AfterValidator(
            check_label(MAX_COMPUTE_NAME_LENGTH, "it becomes part of the profile's AWS name")
        ),
    ]
    selectors: Annotated[list[FargateSelector], AfterValidator(_check_selectors)]
