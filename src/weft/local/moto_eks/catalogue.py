"""The local EKS's add-on catalogue, as data: the add-ons weft installs and their versions for
each Kubernetes version, one ``defaultVersion`` each, as DescribeAddonVersions lists them.

metrics-server is one of EKS's *community* add-ons (owner ``community``, "Community add-ons",
Amazon EKS User Guide, https://docs.aws.amazon.com/eks/latest/userguide/community-addons.html),
offered here from Kubernetes 1.25; so is fluent-bit (from 1.28 here), in its own namespace.
As on EKS, where an add-on's builds list the Kubernetes versions each runs on
(DescribeAddonVersions' ``compatibilities``) and the newest Kubernetes versions get the newest
builds, the observability and Pod Identity add-ons get a newer default at 1.29, 1.31, 1.33 and
1.35 here, the previous default still compatible: an upgrade across two minors of the calendar
moves each of them to the new version's default (as ``weft upgrade`` does for every add-on of
the cluster), and a build left behind runs on the next minor too.
Each add-on's configuration is checked as EKS checks it
against the add-on's schema (DescribeAddonConfiguration), here only its top-level keys
(:func:`configuration_problem`).

Pure: nothing here touches moto. The versions are the emulator's own (close to what EKS offered
when they were written), not read from weft, so a version weft expects wrongly is not also the
emulator's truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Kubernetes versions the add-on catalogue covers (those EKS offers, give or take).
CATALOGUE_MINORS = range(23, 36)


@dataclass(frozen=True)
class Addon:
    """One add-on of the catalogue.

    ``versions`` pairs the first Kubernetes minor a list serves with that list (newest, the
    default, first); the last pair whose minor is not above a cluster's applies to it. In a
    version, ``{minor}`` stands for the cluster's minor (kube-proxy follows Kubernetes).
    """

    type: str
    versions: tuple[tuple[int, tuple[str, ...]], ...]
    requires_iam_permissions: bool = False
    owner: str = "aws"
    compute_types: tuple[str, ...] = ("ec2",)
    #: the top-level keys of its configuration schema (None: not checked)
    configuration_keys: frozenset[str] | None = None
    #: the namespace its workloads go to
    namespace: str = "kube-system"


ADDONS: Mapping[str, Addon] = {
    "vpc-cni": Addon(
        "networking",
        ((0, ("v1.19.2-eksbuild.1", "v1.18.6-eksbuild.1")),),
        configuration_keys=frozenset(
            {
                "affinity",
                "enableNetworkPolicy",
                "enableWindowsIpam",
                "enableWindowsPrefixDelegation",
                "env",
                "eniConfig",
                "init",
                "livenessProbeTimeoutSeconds",
                "nodeAgent",
                "nodeSelector",
                "podAnnotations",
                "podLabels",
                "readinessProbeTimeoutSeconds",
                "resources",
                "tolerations",
                "updateStrategy",
            }
        ),
    ),
    "coredns": Addon(
        "networking",
        (
            (0, ("v1.11.3-eksbuild.2", "v1.11.1-eksbuild.9")),
            (32, ("v1.12.3-eksbuild.2", "v1.12.1-eksbuild.9")),
        ),
        compute_types=("ec2", "fargate"),
        configuration_keys=frozenset(
            {
                "affinity",
                "autoScaling",
                "computeType",
                "corefile",
                "nodeSelector",
                "podAnnotations",
                "podDisruptionBudget",
                "podLabels",
                "replicaCount",
                "resources",
                "tolerations",
                "topologySpreadConstraints",
            }
        ),
    ),
    "kube-proxy": Addon(
        "networking", ((0, ("v1.{minor}.3-eksbuild.2", "v1.{minor}.0-eksbuild.3")),)
    ),
    "aws-ebs-csi-driver": Addon(
        "storage",
        ((0, ("v1.38.1-eksbuild.1", "v1.37.0-eksbuild.1")),),
        requires_iam_permissions=True,
        configuration_keys=frozenset(
            {
                "controller",
                "defaultStorageClass",
                "node",
                "nodeComponentOnly",
                "sidecars",
                "storageClasses",
                "volumeSnapshotClasses",
            }
        ),
    ),
    "metrics-server": Addon(
        "observability-and-monitoring",
        (
            (0, ()),
            (25, ("v0.7.2-eksbuild.3", "v0.7.2-eksbuild.1")),
            (29, ("v0.7.2-eksbuild.5", "v0.7.2-eksbuild.3")),
            (31, ("v0.8.0-eksbuild.1", "v0.7.2-eksbuild.5")),
            (33, ("v0.8.0-eksbuild.3", "v0.8.0-eksbuild.1")),
            (35, ("v0.8.1-eksbuild.1", "v0.8.0-eksbuild.3")),
        ),
        owner="community",
        compute_types=("ec2", "fargate"),
        configuration_keys=frozenset(
            {
                "affinity",
                "args",
                "nodeSelector",
                "podAnnotations",
                "podLabels",
                "replicas",
                "resources",
                "tolerations",
                "topologySpreadConstraints",
            }
        ),
    ),
    # Pod Identity needs Kubernetes 1.24 ("EKS Pod Identity cluster versions", Amazon EKS User
    # Guide); the agent runs on EC2 nodes only (Fargate pods cannot use Pod Identity).
    "eks-pod-identity-agent": Addon(
        "security",
        (
            (0, ()),
            (24, ("v1.3.4-eksbuild.1", "v1.3.2-eksbuild.2")),
            (29, ("v1.3.5-eksbuild.2", "v1.3.4-eksbuild.1")),
            (31, ("v1.3.7-eksbuild.2", "v1.3.5-eksbuild.2")),
            (33, ("v1.3.8-eksbuild.2", "v1.3.7-eksbuild.2")),
            (35, ("v1.3.9-eksbuild.1", "v1.3.8-eksbuild.2")),
        ),
        configuration_keys=frozenset(
            {"affinity", "agent", "init", "nodeSelector", "podAnnotations", "resources"}
        ),
    ),
    # A community add-on too (Fluent Bit 4, from July 2025): its own namespace, and the upstream
    # chart's values as configuration.
    "fluent-bit": Addon(
        "observability-and-monitoring",
        (
            (0, ()),
            (28, ("v4.0.3-eksbuild.1", "v4.0.2-eksbuild.1")),
            (29, ("v4.0.4-eksbuild.1", "v4.0.3-eksbuild.1")),
            (31, ("v4.0.6-eksbuild.1", "v4.0.4-eksbuild.1")),
            (33, ("v4.1.0-eksbuild.1", "v4.0.6-eksbuild.1")),
            (35, ("v4.1.1-eksbuild.1", "v4.1.0-eksbuild.1")),
        ),
        owner="community",
        namespace="fluent-bit",
        configuration_keys=frozenset(
            {
                "affinity",
                "config",
                "env",
                "nodeSelector",
                "podAnnotations",
                "podLabels",
                "priorityClassName",
                "resources",
                "serviceAccount",
                "tolerations",
                "updateStrategy",
            }
        ),
    ),
    # Container Insights ("Amazon CloudWatch Observability EKS add-on", Amazon EKS User Guide,
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/install-CloudWatch-Observability-EKS-addon.html)
    "amazon-cloudwatch-observability": Addon(
        "observability-and-monitoring",
        (
            (0, ("v3.6.0-eksbuild.2", "v3.5.0-eksbuild.1")),
            (29, ("v4.0.0-eksbuild.1", "v3.6.0-eksbuild.2")),
            (31, ("v4.1.0-eksbuild.1", "v4.0.0-eksbuild.1")),
            (33, ("v4.3.0-eksbuild.1", "v4.1.0-eksbuild.1")),
            (35, ("v4.5.0-eksbuild.1", "v4.3.0-eksbuild.1")),
        ),
        requires_iam_permissions=True,
        configuration_keys=frozenset(
            {"agent", "containerLogs", "dcgmExporter", "manager", "neuronMonitor", "tolerations"}
        ),
    ),
}

ADDON_NAMES = tuple(ADDONS)


def minor_of(version: str) -> int | None:
    """The minor of a Kubernetes version ``1.<minor>``; None for anything else."""
    parts = str(version).split(".")
    if len(parts) < 2 or parts[0] != "1" or not parts[1].isdigit():
        return None
    return int(parts[1])


def versions(addon: str, minor: int) -> list[str]:
    """The add-on versions for Kubernetes 1.<minor>, newest (the default) first."""
    entry = ADDONS.get(addon)
    if entry is None:
        return []
    chosen: tuple[str, ...] = ()
    for since, listed in entry.versions:
        if since <= minor:
            chosen = listed
    return [v.format(minor=minor) for v in chosen]


def default_version(addon: str, k8s_version: str) -> str | None:
    """The version CreateAddon installs when none is asked for; None outside the catalogue."""
    minor = minor_of(k8s_version)
    if minor is None or minor not in CATALOGUE_MINORS:
        return None
    found = versions(addon, minor)
    return found[0] if found else None


def compatible(addon: str, version: str, k8s_version: str) -> bool:
    """Whether ``version`` of the add-on runs on Kubernetes ``k8s_version``."""
    minor = minor_of(k8s_version)
    return minor is not None and version in versions(addon, minor)


def addon_info(addon: str, k8s_version: str | None) -> dict[str, Any]:
    """One AddonInfo of DescribeAddonVersions (every covered version when ``k8s_version`` is
    None)."""
    minors = [m for m in CATALOGUE_MINORS if k8s_version is None or minor_of(k8s_version) == m]
    by_version: dict[str, list[dict[str, Any]]] = {}
    for minor in minors:
        for i, version in enumerate(versions(addon, minor)):
            by_version.setdefault(version, []).append(
                {
                    "clusterVersion": f"1.{minor}",
                    "platformVersions": ["*"],
                    "defaultVersion": i == 0,
                }
            )
    return {
        "addonName": addon,
        "type": ADDONS[addon].type,
        "owner": ADDONS[addon].owner,
        "publisher": "eks",
        "defaultNamespace": ADDONS[addon].namespace,
        "addonVersions": [
            {
                "addonVersion": version,
                "architecture": ["amd64", "arm64"],
                "computeTypes": list(ADDONS[addon].compute_types),
                "compatibilities": compat,
                "requiresConfiguration": False,
                "requiresIamPermissions": ADDONS[addon].requires_iam_permissions,
            }
            for version, compat in sorted(by_version.items(), reverse=True)
        ],
    }


class Unreadable(ValueError):
    """A configuration that is neither JSON nor YAML."""


def parse_configuration(values: str) -> Any:
    """A configuration as EKS reads it: JSON, or YAML."""
    import json

    try:
        return json.loads(values)
    except ValueError:
        try:
            import yaml  # type: ignore[import-untyped]

            return yaml.safe_load(values)
        except Exception as exc:
            raise Unreadable(str(exc)) from exc


def configuration_problem(addon: str, values: str) -> str | None:
    """None when EKS takes ``values`` (JSON or YAML) as the add-on's configuration; else the
    message of its InvalidParameterException."""
    text = values.strip()
    if not text:
        return None
    try:
        found = parse_configuration(text)
    except Unreadable:
        return "ConfigurationValue provided in request is not supported: not JSON or YAML"
    prefix = (
        "ConfigurationValue provided in request is not supported: Json schema validation failed"
    )
    if not isinstance(found, dict):
        return f"{prefix} with error: [$: {type(found).__name__} found, object expected]"
    allowed = ADDONS[addon].configuration_keys if addon in ADDONS else None
    unknown = sorted(set(found) - allowed) if allowed is not None else []
    if unknown:
        return (
            f"{prefix} with error: [$.{unknown[0]}: is not defined in the schema and the schema "
            "does not allow additional properties]"
        )
    return None
