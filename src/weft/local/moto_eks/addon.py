"""EKS add-ons, which moto 5.2.5 lacks: CreateAddon, DescribeAddon, ListAddons, UpdateAddon,
DeleteAddon and DescribeAddonVersions, over the catalogue of :mod:`.catalogue`.

As AWS: a configuration its schema does not take is refused (``InvalidParameterException``;
:func:`.catalogue.configuration_problem`); an add-on outside the catalogue is refused
(``InvalidParameterException``), and so is a version that does not run on the cluster's
Kubernetes; a second CreateAddon of the same add-on is ``ResourceInUseException``; CreateAddon
without a version installs the default one; UpdateAddon records an ``AddonUpdate``; DeleteAddon
answers ``DELETING``. An add-on is ACTIVE as soon as it is created, except coredns on a cluster
whose only compute is Fargate (:func:`coredns_status`).
"""

from __future__ import annotations

import uuid
from typing import Any

from weft.local.moto_eks import backend, catalogue

PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/addons$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$",
    "{0}/addons/supported-versions$",
)


def _unsupported_version(cluster_name: str, k8s_version: str, addon_name: str) -> Exception:
    return backend.invalid(
        f"Addon version specified is not supported for Kubernetes {k8s_version}",
        cluster=cluster_name,
        addon=addon_name,
    )


#: coredns's pods' labels, which a Fargate profile's selector must match.
COREDNS_LABELS = {"k8s-app": "kube-dns"}
DEGRADED_ISSUE = {
    "code": "InsufficientNumberOfReplicas",
    "message": "The add-on is unhealthy because it doesn't have the desired number of replicas.",
    "resourceIds": [],
}


def coredns_status(cluster: Any, addon: dict[str, Any]) -> str:
    """coredns's status on a cluster with Fargate profiles and no node groups: DEGRADED unless
    its configuration says ``computeType: Fargate`` (its pods are otherwise annotated
    ``eks.amazonaws.com/compute-type: ec2`` and never go to Fargate) and a profile selects them
    (namespace kube-system, labels none or ``k8s-app: kube-dns``), as "Get started with AWS
    Fargate for your cluster" (Amazon EKS User Guide,
    https://docs.aws.amazon.com/eks/latest/userguide/fargate-getting-started.html) describes:
    its pods stay Pending. (A cluster with no compute at all is not judged here.)"""
    if cluster.nodegroups or not cluster.fargate_profiles:
        return str(addon["status"])
    values = str(addon.get("configurationValues") or "")
    config = catalogue.parse_configuration(values) if values else {}
    on_fargate = isinstance(config, dict) and config.get("computeType") == "Fargate"
    selected = any(
        selector.get("namespace") == "kube-system"
        and dict(selector.get("labels") or {}).items() <= COREDNS_LABELS.items()
        for profile in cluster.fargate_profiles.values()
        for selector in profile.selectors or []
    )
    return str(addon["status"]) if on_fargate and selected else "DEGRADED"


def _described(cluster: Any, addon: dict[str, Any]) -> dict[str, Any]:
    if addon["addonName"] != "coredns" or addon["status"] != "ACTIVE":
        return addon
    status = coredns_status(cluster, addon)
    if status == "DEGRADED":
        return {**addon, "status": status, "health": {"issues": [DEGRADED_ISSUE]}}
    return addon


def _check_configuration(cluster_name: str, addon_name: str, values: str) -> None:
    problem = catalogue.configuration_problem(addon_name, values)
    if problem:
        raise backend.invalid(problem, cluster=cluster_name, addon=addon_name)


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    def find(self: Any, cluster_name: str, addon_name: str) -> tuple[Any, dict[str, Any]]:
        cluster = backend.cluster(self.eks_backend, cluster_name)
        addon = backend.addons_of(cluster).get(addon_name)
        if addon is None:
            raise backend.not_found(
                f"No addon: {addon_name} found in cluster: {cluster_name}",
                cluster=cluster_name,
                addon=addon_name,
            )
        return cluster, addon

    def create_addon(self: Any) -> Any:
        cluster_name = self._get_param("name")
        addon_name = self._get_param("addonName")
        version = self._get_param("addonVersion")
        cluster = backend.cluster(self.eks_backend, cluster_name)
        addons = backend.addons_of(cluster)
        if addon_name in addons:
            raise backend.in_use(cluster_name, "Addon already exists.", addon=addon_name)
        if addon_name not in catalogue.ADDON_NAMES:
            raise backend.invalid(
                f"Addon {addon_name} specified is not supported", cluster=cluster_name
            )
        if version is None:
            version = catalogue.default_version(addon_name, cluster.version)
        if version is None or not catalogue.compatible(addon_name, version, cluster.version):
            raise _unsupported_version(cluster_name, cluster.version, addon_name)
        now = backend.now()
        addon: dict[str, Any] = {
            "addonName": addon_name,
            "clusterName": cluster_name,
            "status": "ACTIVE",
            "addonVersion": version,
            "health": {"issues": []},
            "addonArn": (
                f"arn:aws:eks:{self.eks_backend.region_name}:{self.eks_backend.account_id}:"
                f"addon/{cluster_name}/{addon_name}/{uuid.uuid4()}"
            ),
            "createdAt": now,
            "modifiedAt": now,
            "tags": dict(self._get_param("tags") or {}),
            "owner": "aws",
            "publisher": "eks",
        }
        role = self._get_param("serviceAccountRoleArn")
        if role:
            addon["serviceAccountRoleArn"] = role
        values = self._get_param("configurationValues")
        if values:
            _check_configuration(cluster_name, addon_name, values)
            addon["configurationValues"] = values
        addons[addon_name] = addon
        return ActionResult({"addon": addon})

    def describe_addon(self: Any) -> Any:
        cluster, addon = find(self, self._get_param("name"), self._get_param("addonName"))
        return ActionResult({"addon": _described(cluster, addon)})

    def list_addons(self: Any) -> Any:
        cluster = backend.cluster(self.eks_backend, self._get_param("name"))
        return ActionResult({"addons": sorted(backend.addons_of(cluster))})

    def update_addon(self: Any) -> Any:
        cluster_name = self._get_param("name")
        addon_name = self._get_param("addonName")
        cluster, addon = find(self, cluster_name, addon_name)
        params = []
        version = self._get_param("addonVersion")
        if version is not None:
            if not catalogue.compatible(addon_name, version, cluster.version):
                raise _unsupported_version(cluster_name, cluster.version, addon_name)
            addon["addonVersion"] = version
            params.append({"type": "AddonVersion", "value": version})
        role = self._get_param("serviceAccountRoleArn")
        if role:  # the API takes no empty ARN: a role cannot be removed by an update
            addon["serviceAccountRoleArn"] = role
            params.append({"type": "ServiceAccountRoleArn", "value": role})
        values = self._get_param("configurationValues")
        if values is not None:
            _check_configuration(cluster_name, addon_name, values)
            addon["configurationValues"] = values
            params.append({"type": "ConfigurationValues", "value": values})
        conflicts = self._get_param("resolveConflicts")
        if conflicts:
            params.append({"type": "ResolveConflicts", "value": conflicts})
        addon["modifiedAt"] = backend.now()
        update = backend.record_update(cluster, "AddonUpdate", params, addon=addon_name)
        return ActionResult({"update": update})

    def delete_addon(self: Any) -> Any:
        cluster_name = self._get_param("name")
        addon_name = self._get_param("addonName")
        cluster, addon = find(self, cluster_name, addon_name)
        del backend.addons_of(cluster)[addon_name]
        return ActionResult({"addon": {**addon, "status": "DELETING"}})

    def describe_addon_versions(self: Any) -> Any:
        k8s_version = self._get_param("kubernetesVersion")
        name = self._get_param("addonName")
        names = [n for n in catalogue.ADDON_NAMES if name in (None, n)]
        infos = [catalogue.addon_info(n, k8s_version) for n in names]
        return ActionResult({"addons": [i for i in infos if i["addonVersions"]]})

    EKSResponse.create_addon = create_addon  # type: ignore[attr-defined]
    EKSResponse.describe_addon = describe_addon  # type: ignore[attr-defined]
    EKSResponse.list_addons = list_addons  # type: ignore[attr-defined]
    EKSResponse.update_addon = update_addon  # type: ignore[attr-defined]
    EKSResponse.delete_addon = delete_addon  # type: ignore[attr-defined]
    EKSResponse.describe_addon_versions = describe_addon_versions  # type: ignore[attr-defined]
