"""The EKS cluster of a fabric file: its API endpoint, control plane logs, encryption and add-ons.

::

    cluster:
      version: "1.NN"            # text; left out: the newest in EKS standard support
      endpoint: both             # public | private | both
      api_cidrs: [198.51.100.7/32]  # who may reach the public endpoint; none when it is private
      logs: [api, audit, authenticator]
      log_retention_days: 30     # how long CloudWatch Logs keeps them (one of its periods)
      encrypt_secrets: true      # envelope encryption of Kubernetes secrets with the fabric KMS key
      compute: nodegroups        # nodegroups (the file's node groups and Fargate profiles) | auto
      addons: {vpc-cni: {version: null}, ...}
      pod_identity: false        # true: weft's own pods get their roles through EKS Pod Identity
      access:                    # who else may use the cluster (the creator always may)
        - {principal: "arn:aws:iam::123456789012:role/dev", policy: edit, namespaces: [web]}
        - {principal: "arn:aws:iam::123456789012:role/ops", policy: admin}

Defaults resolved here: ``api_cidrs`` is empty for a private endpoint; a public one (``public``
or ``both``) has no default: the file lists who may reach it, and opens it to the world only by
saying ``0.0.0.0/0`` literally (the plan then warns). ``weft init`` writes the caller's public
address there when it can find it. ``addons`` is all of :data:`ADDONS` (each at the version EKS
picks) when the key is omitted, and exactly the listed ones when it is given; metrics-server is
EKS's community add-on. How each is configured: :mod:`weft.model.cluster`.

``pod_identity`` (off by default) gives the roles of the pods weft runs itself (the AWS Load
Balancer Controller) through EKS Pod Identity instead of IRSA: the ``eks-pod-identity-agent``
add-on is installed, the role trusts ``pods.eks.amazonaws.com`` and a Pod Identity association
ties it to the ServiceAccount (:func:`pod_identity_problems`: Kubernetes 1.24 or later, and node
groups, as Fargate pods cannot use it). The EKS add-ons (vpc-cni, the EBS CSI driver) and the
apps keep IRSA.

``access`` grants IAM roles and users access to the cluster through EKS access entries (the
cluster's authentication mode is ``API``): ``policy`` is ``admin``, ``edit`` or ``view`` (EKS's
AmazonEKSClusterAdminPolicy or AmazonEKSAdminPolicy, AmazonEKSEditPolicy, AmazonEKSViewPolicy:
:data:`ACCESS_POLICIES`), over the whole cluster, or over ``namespaces`` only when they are
listed. One entry per principal; the principal is an IAM role or user ARN of any account (not an
assumed-role session).

``compute: auto`` makes an EKS Auto Mode cluster: EKS runs the nodes (its built-in node pools
``general-purpose`` and ``system``), their block storage and the apps' load balancers, so weft
installs no load-balancer controller and renders the apps' Ingresses and Services for Auto
Mode's own (:mod:`weft.kube.manifests.traffic`). EKS offers it from Kubernetes 1.29
(:data:`AUTO_MODE_MIN_MINOR`); it runs the VPC CNI, kube-proxy, CoreDNS and the EBS CSI driver
itself, so an Auto Mode fabric without node groups gets only metrics-server unless ``addons``
says otherwise. Node groups and Fargate profiles may sit next to Auto Mode, as EKS allows.

The version's shape is checked by :mod:`weft.fabricfile.k8s_version`, which also tells whether
an upgrade from the version running in the cloud is possible; whether EKS offers it is checked by
``weft plan`` against EKS's calendar. Left out, the cluster is created on the newest version in
standard support, and then keeps the version it runs (a later plan does not follow the default
as the calendar moves). What runs on the cluster is in
:mod:`weft.fabricfile.nodegroup` and :mod:`weft.fabricfile.fargate`. Rules that involve other
sections (a cluster needs two zones; node groups and Fargate profiles need a cluster) live in
:func:`weft.fabricfile.cross_check.cross_problems`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PlainValidator,
    model_validator,
)

from weft.fabricfile.checks import (
    MODEL_CONFIG,
    Path,
    check_unique,
    choice,
    describe,
    did_you_mean,
    ipv4_network_problem,
    none_as_empty,
    problem,
)
from weft.fabricfile.k8s_names import check_namespace
from weft.fabricfile.k8s_version import check_k8s_version, k8s_minor

__all__ = [
    "ACCESS_POLICIES",
    "ADDONS",
    "ANYWHERE",
    "AUTO_MODE_ADDONS",
    "AUTO_MODE_MIN_MINOR",
    "COMPUTE_MODES",
    "DEFAULT_LOGS",
    "DEFAULT_LOG_RETENTION_DAYS",
    "ENDPOINTS",
    "LOG_RETENTION_DAYS",
    "LOG_TYPES",
    "MAX_API_CIDRS",
    "MAX_COMPUTE_NAME_LENGTH",
    "POD_IDENTITY_MIN_MINOR",
    "Access",
    "Addon",
    "Cluster",
    "pod_identity_problems",
]

LogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
Endpoint = Literal["public", "private", "both"]

ENDPOINTS = ("public", "private", "both")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
DEFAULT_LOGS: tuple[LogType, ...] = ("api", "audit", "authenticator")
#: The retention periods CloudWatch Logs accepts (PutRetentionPolicy's retentionInDays).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
)  # fmt: skip
DEFAULT_LOG_RETENTION_DAYS = 30
#: The CIDR that opens the public endpoint to the world: never a default, only written literally.
ANYWHERE = "0.0.0.0/0"
#: The EKS managed add-ons weft installs; all of them unless ``addons`` says otherwise.
ADDONS = ("vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "metrics-server")
MAX_API_CIDRS = 40
#: How the cluster gets its nodes: the file's node groups and Fargate profiles, or EKS Auto Mode.
COMPUTE_MODES = ("nodegroups", "auto")
Compute = Literal["nodegroups", "auto"]
#: The first Kubernetes minor version EKS Auto Mode supports ("Create an EKS Auto Mode
#: Cluster", Amazon EKS User Guide: "Kubernetes version 1.29 or greater").
AUTO_MODE_MIN_MINOR = 29
#: The add-ons an Auto Mode fabric without node groups gets when ``addons`` is left out: Auto
#: Mode runs the others itself.
AUTO_MODE_ADDONS = ("metrics-server",)
#: The names of node groups and Fargate profiles become part of their AWS names.
MAX_COMPUTE_NAME_LENGTH = 20

#: What each ``access`` policy becomes: (EKS access policy at cluster scope, at namespace scope).
ACCESS_POLICIES = {
    "admin": ("AmazonEKSClusterAdminPolicy", "AmazonEKSAdminPolicy"),
    "edit": ("AmazonEKSEditPolicy", "AmazonEKSEditPolicy"),
    "view": ("AmazonEKSViewPolicy", "AmazonEKSViewPolicy"),
}
AccessPolicy = Literal["admin", "edit", "view"]
#: An IAM role or user, as access entries name them (a role's path included).
_PRINCIPAL_RE = re.compile(
    r"arn:aws(?:-cn|-us-gov)?:iam::[0-9]{12}:(?:role|user)/[\w+=,.@/-]{1,512}"
)
_ASSUMED_RE = re.compile(r"arn:aws(?:-cn|-us-gov)?:sts::([0-9]{12}):assumed-role/([^/]+)/.*")

_ADDON_VERSION_RE = re.compile(r"v[0-9]+\.[0-9]+\.[0-9]+-eksbuild\.[0-9]+")


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


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise problem(
            (
                (),
                f"{value} days is not a retention CloudWatch Logs offers; one of: "
                f"{', '.join(str(days) for days in LOG_RETENTION_DAYS)}",
            )
        )
    return value


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

    model_config = MODEL_CONFIG

    version: Annotated[str | None, AfterValidator(_check_addon_version)] = None


def _check_principal(value: str) -> str:
    if _PRINCIPAL_RE.fullmatch(value):
        return value
    assumed = _ASSUMED_RE.fullmatch(value)
    hint = (
        f"; for this session's role write arn:aws:iam::{assumed.group(1)}:role/{assumed.group(2)}"
        if assumed
        else ""
    )
    raise problem(
        (
            (),
            f"{describe(value)} is not an IAM role or user ARN; expected one like "
            f"arn:aws:iam::123456789012:role/developers{hint}",
        )
    )


def _check_access(value: list[Access]) -> list[Access]:
    found = check_unique([a.principal for a in value], "principal", "cluster.access")
    for index, grant in enumerate(value):
        found.extend(
            ((index, "namespaces", *path), message)
            for path, message in check_unique(
                grant.namespaces, "namespace", f"cluster.access[{index}].namespaces"
            )
        )
    if found:
        raise problem(
            *[
                ((path[0], "principal", *path[1:]) if len(path) == 1 else path, m)
                for path, m in found
            ]
        )
    return value


class Access(BaseModel):
    """An IAM principal's access to the cluster: an EKS access entry and its access policy."""

    model_config = MODEL_CONFIG

    principal: Annotated[str, AfterValidator(_check_principal)]
    policy: Annotated[AccessPolicy, BeforeValidator(choice(tuple(ACCESS_POLICIES)))]
    #: empty: the whole cluster
    namespaces: Annotated[
        list[Annotated[str, AfterValidator(check_namespace)]],
        BeforeValidator(none_as_empty(list)),
    ] = Field(default_factory=list)

    @property
    def policy_name(self) -> str:
        """The EKS access policy this grant associates."""
        cluster_wide, namespaced = ACCESS_POLICIES[self.policy]
        return namespaced if self.namespaces else cluster_wide


def _all_addons() -> dict[str, Addon]:
    return {name: Addon() for name in ADDONS}


class Cluster(BaseModel):
    """The EKS cluster: Kubernetes version, API endpoint access, logging, encryption, add-ons."""

    model_config = MODEL_CONFIG

    # None: the newest version in EKS standard support when the cluster is created (``weft plan``
    # reads the calendar), then the version the cluster runs.
    version: Annotated[str | None, PlainValidator(check_k8s_version)] = None
    endpoint: Annotated[Endpoint, BeforeValidator(choice(ENDPOINTS))] = "both"
    # Always set after validation: empty for a private endpoint, else required.
    api_cidrs: Annotated[
        list[str], BeforeValidator(none_as_empty(list)), AfterValidator(_check_api_cidrs)
    ] = Field(default_factory=list)
    logs: Annotated[list[LogType], PlainValidator(_check_logs)] = Field(
        default_factory=lambda: list(DEFAULT_LOGS)
    )
    log_retention_days: Annotated[int, AfterValidator(_check_retention)] = (
        DEFAULT_LOG_RETENTION_DAYS
    )
    encrypt_secrets: bool = True
    addons: Annotated[dict[str, Addon], BeforeValidator(_check_addon_names)] = Field(
        default_factory=_all_addons
    )
    access: Annotated[
        list[Access], BeforeValidator(none_as_empty(list)), AfterValidator(_check_access)
    ] = Field(default_factory=list)
    compute: Annotated[Compute, BeforeValidator(choice(COMPUTE_MODES))] = "nodegroups"
    pod_identity: bool = False

    @property
    def auto_mode(self) -> bool:
        """Whether the cluster runs EKS Auto Mode (``compute: auto``)."""
        return self.compute == "auto"

    @model_validator(mode="after")
    def _cross_check(self) -> Cluster:
        if self.auto_mode and self.version and k8s_minor(self.version) < AUTO_MODE_MIN_MINOR:
            raise problem(
                (
                    ("version",),
                    f"EKS Auto Mode (compute: auto) needs Kubernetes 1.{AUTO_MODE_MIN_MINOR} or "
                    f"newer; {self.version} is older: raise the version, or use compute: "
                    "nodegroups",
                )
            )
        if self.endpoint != "private" and "api_cidrs" not in self.model_fields_set:
            raise problem(
                (
                    ("api_cidrs",),
                    f"required with endpoint {self.endpoint}: list the networks that may reach "
                    "the Kubernetes API's public endpoint (your office's, your CI's: e.g. "
                    "api_cidrs: [198.51.100.7/32]; weft init writes your public address here), "
                    "use endpoint: private, or write [0.0.0.0/0] to open it to the whole internet",
                )
            )
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


#: EKS Pod Identity needs Kubernetes 1.24 or later ("EKS Pod Identity cluster versions", Amazon
#: EKS User Guide).
POD_IDENTITY_MIN_MINOR = 24


def pod_identity_problems(cluster: Cluster, has_nodegroups: bool) -> list[tuple[Path, str]]:
    """``pod_identity: true`` where EKS Pod Identity cannot serve weft's pods: a Kubernetes
    version before 1.24, or a fabric without node groups (the agent runs on EC2 nodes only;
    Fargate pods cannot use Pod Identity: "Learn how EKS Pod Identity grants pods access to AWS
    services", Amazon EKS User Guide)."""
    if not cluster.pod_identity:
        return []
    path: Path = ("cluster", "pod_identity")
    minor = cluster.version.split(".")[1] if cluster.version else None
    if minor is not None and minor.isdigit() and int(minor) < POD_IDENTITY_MIN_MINOR:
        return [
            (
                path,
                f"EKS Pod Identity needs Kubernetes 1.{POD_IDENTITY_MIN_MINOR} or later and the "
                f"cluster runs {cluster.version}; upgrade the cluster first or leave "
                "pod_identity off (IRSA)",
            )
        ]
    if not has_nodegroups:
        return [
            (
                path,
                "this fabric has no node groups, and Fargate pods cannot use EKS Pod Identity "
                "(its agent runs on EC2 nodes); add a node group or leave pod_identity off "
                "(IRSA)",
            )
        ]
    return []
