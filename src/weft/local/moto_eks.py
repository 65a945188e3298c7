"""The local cloud's EKS, completed where moto 5.2.5 stops short (and the IAM calls EKS needs).

Applied inside the moto server process (:func:`apply`, listed in
:data:`weft.local.moto_fixes.FIXES`), before the server builds its routes. Modelled on the AWS
EKS API reference: the same paths, request and response shapes and error codes. What it adds or
corrects, each restoring what AWS does:

- **Add-ons**: CreateAddon, DescribeAddon, ListAddons, UpdateAddon, DeleteAddon and
  DescribeAddonVersions (a small static catalogue of the four add-ons weft installs, per
  Kubernetes version, one ``defaultVersion`` each).
- **Updates**: UpdateClusterVersion (one minor version at a time, as AWS enforces),
  DescribeUpdate and ListUpdates; UpdateClusterConfig answers with its ``update`` (moto answers
  nothing) and merges the VPC and logging settings into the cluster's (moto replaces them);
  UpdateNodegroupConfig's update is recorded so DescribeUpdate finds it.
- **Clusters**: each cluster has its own OIDC issuer and endpoint (moto draws one of each per
  process, shared by every cluster), a certificate authority that is a real base64-encoded PEM
  certificate; while the local Kubernetes runs (recorded in ``LOCAL_DIR/kube.json``), every
  cluster's endpoint and certificate authority are that API server's, so clients reach a real
  Kubernetes exactly as they reach an EKS cluster (tokens: :mod:`weft.local.eks_auth`); the
  default VPC settings AWS fills in, and a cluster security group in its VPC
  (removed with the cluster). Deleting a cluster that still has Fargate profiles is refused.
- **Node groups** report the cluster's Kubernetes version (moto: always 1.19), and become nodes
  of the local Kubernetes: ``LOCAL_DIR/nodes.json``, which the kubelet simulator follows, holds
  ``desiredSize`` nodes per group with the labels and taints EKS gives them.
- **Deletes** answer with status ``DELETING`` (moto: ``ACTIVE``).
- **Tags**: TagResource, UntagResource and ListTagsForResource work on node groups, Fargate
  profiles and add-ons too (moto: clusters only).
- **IAM**: AddClientIDToOpenIDConnectProvider and RemoveClientIDFromOpenIDConnectProvider.

Everything still happens at once: a cluster is ACTIVE when created, an update Successful when
made, as with the rest of moto.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import threading
import uuid
from pathlib import Path
from typing import Any

#: Kubernetes versions the add-on catalogue covers (those EKS offers, give or take).
CATALOGUE_MINORS = range(23, 36)

#: The local cloud's state directory (set by :mod:`weft.local.moto_main`): where the local
#: Kubernetes records itself (``kube.json``).
LOCAL_DIR: Path | None = None

_CA_LOCK = threading.Lock()
_CA_PEM: list[str] = []


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _hex32() -> str:
    return uuid.uuid4().hex.upper()


def ca_data() -> str:
    """A base64-encoded PEM certificate of a self-signed CA, made once per process.

    ``cryptography`` is a dependency of moto itself, so it is there wherever the local cloud is.
    """
    with _CA_LOCK:
        if not _CA_PEM:
            _CA_PEM.append(_make_ca())
        return _CA_PEM[0]


def _make_ca() -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    return base64.b64encode(pem).decode()


# --------------------------------------------------------------------------- add-on catalogue


def _catalogue_versions(addon: str, minor: int) -> list[str]:
    """The add-on versions for Kubernetes 1.<minor>, newest (the default) first."""
    if addon == "vpc-cni":
        return ["v1.19.2-eksbuild.1", "v1.18.6-eksbuild.1"]
    if addon == "coredns":
        patch = 11 if minor < 32 else 12
        return [f"v1.{patch}.3-eksbuild.2", f"v1.{patch}.1-eksbuild.9"]
    if addon == "kube-proxy":
        return [f"v1.{minor}.3-eksbuild.2", f"v1.{minor}.0-eksbuild.3"]
    if addon == "aws-ebs-csi-driver":
        return ["v1.38.1-eksbuild.1", "v1.37.0-eksbuild.1"]
    return []


ADDON_NAMES = ("vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver")
_ADDON_TYPES = {
    "vpc-cni": "networking",
    "coredns": "networking",
    "kube-proxy": "networking",
    "aws-ebs-csi-driver": "storage",
}


def _minor_of(version: str) -> int | None:
    parts = str(version).split(".")
    if len(parts) < 2 or parts[0] != "1" or not parts[1].isdigit():
        return None
    return int(parts[1])


def default_addon_version(addon: str, k8s_version: str) -> str | None:
    minor = _minor_of(k8s_version)
    if minor is None or minor not in CATALOGUE_MINORS:
        return None
    versions = _catalogue_versions(addon, minor)
    return versions[0] if versions else None


def _compatible(addon: str, version: str, k8s_version: str) -> bool:
    minor = _minor_of(k8s_version)
    return minor is not None and version in _catalogue_versions(addon, minor)


def _addon_info(addon: str, k8s_version: str | None) -> dict[str, Any]:
    """One AddonInfo of DescribeAddonVersions."""
    minors = [m for m in CATALOGUE_MINORS if k8s_version is None or _minor_of(k8s_version) == m]
    by_version: dict[str, list[dict[str, Any]]] = {}
    for minor in minors:
        for i, version in enumerate(_catalogue_versions(addon, minor)):
            by_version.setdefault(version, []).append(
                {
                    "clusterVersion": f"1.{minor}",
                    "platformVersions": ["*"],
                    "defaultVersion": i == 0,
                }
            )
    return {
        "addonName": addon,
        "type": _ADDON_TYPES[addon],
        "owner": "aws",
        "publisher": "eks",
        "defaultNamespace": "kube-system",
        "addonVersions": [
            {
                "addonVersion": version,
                "architecture": ["amd64", "arm64"],
                "computeTypes": ["ec2"],
                "compatibilities": compat,
                "requiresConfiguration": False,
                "requiresIamPermissions": addon == "aws-ebs-csi-driver",
            }
            for version, compat in sorted(by_version.items(), reverse=True)
        ],
    }


# ------------------------------------------------------------------------------ application


def apply() -> None:
    _routes()
    _cluster_fixes()
    _local_kube_endpoint()
    _nodegroup_fixes()
    _updates()
    _addons()
    _tags()
    _oidc_client_ids()


def _routes() -> None:
    """Serve the paths of the operations added here (before the server builds its URL map)."""
    from moto.eks import urls

    dispatch = urls.response.dispatch
    for path in (
        "{0}/clusters/(?P<name>[^/]+)/addons$",
        "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
        "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$",
        "{0}/addons/supported-versions$",
        "{0}/clusters/(?P<name>[^/]+)/updates$",
        "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$",
    ):
        urls.url_paths.setdefault(path, dispatch)


def _errors() -> Any:
    from moto.eks import exceptions

    return exceptions


def _cluster(backend: Any, name: str) -> Any:
    cluster = backend.clusters.get(name)
    if cluster is None:
        raise _errors().ResourceNotFoundException(
            clusterName=name,
            nodegroupName=None,
            fargateProfileName=None,
            addonName=None,
            message=f"No cluster found for name: {name}.",
        )
    return cluster


def _invalid(message: str, **names: Any) -> Exception:
    error: Exception = _errors().InvalidParameterException(
        clusterName=names.get("cluster"),
        nodegroupName=names.get("nodegroup"),
        fargateProfileName=None,
        addonName=names.get("addon"),
        message=message,
    )
    return error


def _updates_of(cluster: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(cluster, "weft_updates"):
        cluster.weft_updates = {}
    updates: dict[str, dict[str, Any]] = cluster.weft_updates
    return updates


def _addons_of(cluster: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(cluster, "weft_addons"):
        cluster.weft_addons = {}
    addons: dict[str, dict[str, Any]] = cluster.weft_addons
    return addons


def _record_update(
    cluster: Any,
    kind: str,
    params: list[dict[str, str]],
    *,
    nodegroup: str | None = None,
    addon: str | None = None,
    update_id: str | None = None,
) -> dict[str, Any]:
    the_id = update_id or str(uuid.uuid4())
    update: dict[str, Any] = {
        "id": the_id,
        "status": "Successful",
        "type": kind,
        "params": params,
        "createdAt": _now(),
        "errors": [],
    }
    _updates_of(cluster)[the_id] = {**update, "_nodegroup": nodegroup, "_addon": addon}
    return update


def _public(update: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in update.items() if not k.startswith("_")}


# ------------------------------------------------------------------------------------ clusters


def local_kube() -> tuple[str, str] | None:
    """(endpoint, base64 PEM CA) of the local Kubernetes while one is recorded, else None."""
    if LOCAL_DIR is None:
        return None
    try:
        record = json.loads((LOCAL_DIR / "kube.json").read_text())
        endpoint, ca_file = record.get("endpoint"), record.get("ca_file")
        if not endpoint or not ca_file:
            return None
        return str(endpoint), base64.b64encode(Path(ca_file).read_bytes()).decode()
    except (OSError, ValueError, AttributeError):
        return None


def _local_kube_endpoint() -> None:
    """Every cluster answers with the local Kubernetes' endpoint and CA while it runs."""
    from moto.eks.models import Cluster

    def get_endpoint(self: Any) -> Any:
        local = local_kube()
        return local[0] if local else self.__dict__.get("_weft_endpoint")

    def set_endpoint(self: Any, value: Any) -> None:
        self.__dict__["_weft_endpoint"] = value

    def get_ca(self: Any) -> Any:
        local = local_kube()
        return {"data": local[1]} if local else self.__dict__.get("_weft_ca")

    def set_ca(self: Any, value: Any) -> None:
        self.__dict__["_weft_ca"] = value

    Cluster.endpoint = property(get_endpoint, set_endpoint)  # type: ignore[assignment]
    Cluster.certificate_authority = property(get_ca, set_ca)  # type: ignore[assignment]


def _cluster_fixes() -> None:
    from moto.eks.models import EKSBackend

    original_create = EKSBackend.create_cluster
    original_delete = EKSBackend.delete_cluster

    def create_cluster(self: Any, *args: Any, **kwargs: Any) -> Any:
        cluster = original_create(self, *args, **kwargs)
        region = self.region_name
        cluster.identity = {
            "oidc": {"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{_hex32()}"}
        }
        cluster.endpoint = f"https://{_hex32()}.gr7.{region}.eks.amazonaws.com"
        cluster.certificate_authority = {"data": ca_data()}
        config = dict(cluster.resources_vpc_config or {})
        config.setdefault("subnetIds", [])
        config.setdefault("securityGroupIds", [])
        config.setdefault("endpointPublicAccess", True)
        config.setdefault("endpointPrivateAccess", False)
        config.setdefault("publicAccessCidrs", ["0.0.0.0/0"])
        vpc_id = _vpc_of_subnets(self.account_id, region, config["subnetIds"])
        if vpc_id:
            config["vpcId"] = vpc_id
            group = _make_cluster_group(self.account_id, region, cluster.name, vpc_id)
            if group:
                config["clusterSecurityGroupId"] = group
        cluster.resources_vpc_config = config
        cluster.logging = _logging_state(_enabled_logs(cluster.logging))
        return cluster

    def delete_cluster(self: Any, name: str) -> Any:
        cluster = self.clusters.get(name)
        if cluster is not None and cluster.fargate_profiles:
            raise _errors().ResourceInUseException(
                clusterName=name,
                nodegroupName=None,
                addonName=None,
                message="Cluster has fargate profiles attached",
            )
        result = original_delete(self, name)
        group = (result.resources_vpc_config or {}).get("clusterSecurityGroupId")
        if group:
            _delete_group(self.account_id, self.region_name, group)
        result.status = "DELETING"
        return result

    EKSBackend.create_cluster = create_cluster  # type: ignore[method-assign]
    EKSBackend.delete_cluster = delete_cluster  # type: ignore[method-assign]

    def update_cluster_config(self: Any) -> Any:
        from moto.core.responses import ActionResult

        name = self._get_param("name")
        vpc_config = self._get_param("resourcesVpcConfig")
        logging = self._get_param("logging")
        cluster = _cluster(self.eks_backend, name)
        if vpc_config and logging:
            raise _invalid("Only one type of update can be allowed.", cluster=name)
        if vpc_config:
            merged = {**(cluster.resources_vpc_config or {}), **vpc_config}
            cluster.resources_vpc_config = merged
            kind = (
                "VpcConfigUpdate"
                if {"subnetIds", "securityGroupIds"} & set(vpc_config)
                else "EndpointAccessUpdate"
            )
            params = [
                {"type": param, "value": _json(vpc_config[key])}
                for key, param in (
                    ("endpointPublicAccess", "EndpointPublicAccess"),
                    ("endpointPrivateAccess", "EndpointPrivateAccess"),
                    ("publicAccessCidrs", "PublicAccessCidrs"),
                    ("subnetIds", "Subnets"),
                    ("securityGroupIds", "SecurityGroups"),
                )
                if key in vpc_config
            ]
            update = _record_update(cluster, kind, params)
        elif logging:
            enabled = _enabled_logs(cluster.logging)
            for entry in logging.get("clusterLogging") or []:
                types = set(entry.get("types") or [])
                enabled = enabled | types if entry.get("enabled") else enabled - types
            cluster.logging = _logging_state(enabled)
            update = _record_update(
                cluster, "LoggingUpdate", [{"type": "ClusterLogging", "value": _json(logging)}]
            )
        else:
            raise _invalid("No changes needed for the provided cluster config.", cluster=name)
        return ActionResult({"update": update})

    from moto.eks.responses import EKSResponse

    EKSResponse.update_cluster_config = update_cluster_config  # type: ignore[method-assign]


LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _enabled_logs(logging: Any) -> set[str]:
    enabled: set[str] = set()
    for entry in (logging or {}).get("clusterLogging") or []:
        if entry.get("enabled"):
            enabled |= set(entry.get("types") or [])
    return enabled


def _logging_state(enabled: set[str]) -> dict[str, Any]:
    """Logging as AWS describes it: the enabled types, then the disabled ones."""
    entries = []
    on = [t for t in LOG_TYPES if t in enabled]
    off = [t for t in LOG_TYPES if t not in enabled]
    if on:
        entries.append({"types": on, "enabled": True})
    if off:
        entries.append({"types": off, "enabled": False})
    return {"clusterLogging": entries}


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _vpc_of_subnets(account_id: str, region: str, subnet_ids: list[str]) -> str | None:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    for subnet_id in subnet_ids:
        try:
            return str(ec2.get_subnet(subnet_id).vpc_id)
        except Exception:  # an unknown subnet: moto does not validate EKS subnets
            continue
    return None


def _make_cluster_group(account_id: str, region: str, cluster: str, vpc_id: str) -> str | None:
    """The security group EKS creates for a cluster's control plane and managed nodes."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    try:
        group = ec2.create_security_group(
            name=f"eks-cluster-sg-{cluster}-{uuid.uuid4().int % 10**10}",
            description="EKS created security group applied to ENI that is attached to EKS "
            "Control Plane master nodes, as well as any managed workloads.",
            vpc_id=vpc_id,
            tags={"aws:eks:cluster-name": cluster, f"kubernetes.io/cluster/{cluster}": "owned"},
        )
    except Exception:  # not worth failing the cluster for: AWS always has one, moto may not
        return None
    return str(group.id)


def _delete_group(account_id: str, region: str, group_id: str) -> None:
    from moto.ec2.models import ec2_backends

    with contextlib.suppress(Exception):  # already gone
        ec2_backends[account_id][region].delete_security_group(group_id=group_id)


# ---------------------------------------------------------------------------------- node groups


def _nodegroup_fixes() -> None:
    from moto.eks.models import EKSBackend

    original_create = EKSBackend.create_nodegroup
    original_update = EKSBackend.update_nodegroup_config
    original_delete = EKSBackend.delete_nodegroup
    original_delete_profile = EKSBackend.delete_fargate_profile

    def create_nodegroup(self: Any, *args: Any, **kwargs: Any) -> Any:
        cluster_name = kwargs.get("cluster_name", args[0] if args else None)
        given = kwargs.get("version")
        nodegroup = original_create(self, *args, **kwargs)
        if not given:
            version = self.clusters[cluster_name].version
            nodegroup.version = version
            nodegroup.release_version = f"{version}.7-20250505"
        # moto hands every group the same default dicts (an update would change them all)
        nodegroup.health = {"issues": []}
        nodegroup.scaling_config = dict(nodegroup.scaling_config)
        return nodegroup

    def update_nodegroup_config(
        self: Any, cluster_name: str, nodegroup_name: str, **kw: Any
    ) -> Any:
        update = original_update(self, cluster_name, nodegroup_name, **kw)
        update = _record_update(
            self.clusters[cluster_name],
            update["type"],
            update["params"],
            nodegroup=nodegroup_name,
            update_id=update["id"],
        )
        return update

    def delete_nodegroup(self: Any, cluster_name: str, nodegroup_name: str) -> Any:
        result = original_delete(self, cluster_name, nodegroup_name)
        result.status = "DELETING"
        return result

    def delete_fargate_profile(self: Any, cluster_name: str, fargate_profile_name: str) -> Any:
        result = original_delete_profile(self, cluster_name, fargate_profile_name)
        result.status = "DELETING"
        return result

    def write_nodes_after(method: Any) -> Any:
        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = method(self, *args, **kwargs)
            write_nodes()
            return result

        return wrapped

    create_nodegroup = write_nodes_after(create_nodegroup)
    update_nodegroup_config = write_nodes_after(update_nodegroup_config)
    delete_nodegroup = write_nodes_after(delete_nodegroup)

    EKSBackend.create_nodegroup = create_nodegroup  # type: ignore[method-assign]
    EKSBackend.update_nodegroup_config = update_nodegroup_config  # type: ignore[assignment]
    EKSBackend.delete_nodegroup = delete_nodegroup  # type: ignore[method-assign]
    EKSBackend.delete_fargate_profile = delete_fargate_profile  # type: ignore[method-assign]


#: EKS's taint effects, as Kubernetes spells them.
_EFFECTS = {
    "NO_SCHEDULE": "NoSchedule",
    "NO_EXECUTE": "NoExecute",
    "PREFER_NO_SCHEDULE": "PreferNoSchedule",
}


def nodes_of(nodegroups: list[Any]) -> list[dict[str, Any]]:
    """The nodes the local kubelet simulator registers for these node groups: ``desiredSize``
    nodes each, labelled and tainted as EKS labels and taints a managed node group's nodes."""
    nodes = []
    for ng in sorted(nodegroups, key=lambda n: (n.cluster_name, n.nodegroup_name)):
        if getattr(ng, "status", "ACTIVE") == "DELETING":
            continue
        size = int((ng.scaling_config or {}).get("desiredSize") or 0)
        for i in range(size):
            zone = f"{ng.region}{'abc'[i % 3]}"
            labels = {
                "eks.amazonaws.com/nodegroup": ng.nodegroup_name,
                "eks.amazonaws.com/capacityType": ng.capacity_type or "ON_DEMAND",
                "node.kubernetes.io/instance-type": (ng.instance_types or ["m5.large"])[0],
                "topology.kubernetes.io/zone": zone,
                "topology.kubernetes.io/region": ng.region,
                "weft.local/cluster": ng.cluster_name,
                **{str(k): str(v) for k, v in (ng.labels or {}).items()},
            }
            taints = [
                {
                    "key": t["key"],
                    **({"value": t["value"]} if t.get("value") else {}),
                    "effect": _EFFECTS.get(t.get("effect", ""), t.get("effect", "NoSchedule")),
                }
                for t in ng.taints or []
            ]
            name = f"{ng.cluster_name}-{ng.nodegroup_name}-{i + 1}"[:253]
            nodes.append({"name": name, "labels": labels, "taints": taints})
    return nodes


def write_nodes() -> None:
    """Keep ``LOCAL_DIR/nodes.json`` (read by the kubelet simulator) in step with every node
    group of the local EKS; without node groups the file goes and the simulator falls back to
    its three generic nodes, so the local Kubernetes always has somewhere to run pods."""
    if LOCAL_DIR is None:
        return
    from moto.eks.models import eks_backends

    groups = [
        ng
        for regions in eks_backends.values()
        for backend in regions.values()
        for cluster in backend.clusters.values()
        for ng in cluster.nodegroups.values()
    ]
    path = LOCAL_DIR / "nodes.json"
    nodes = nodes_of(groups)
    if not nodes:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(nodes, indent=1))
    tmp.replace(path)


# ------------------------------------------------------------------------------------- updates


def _updates() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    def update_cluster_version(self: Any) -> Any:
        name = self._get_param("name")
        version = str(self._get_param("version") or "")
        cluster = _cluster(self.eks_backend, name)
        if cluster.status != "ACTIVE":
            raise _errors().ResourceInUseException(
                clusterName=name,
                nodegroupName=None,
                addonName=None,
                message=f"Cluster {name} is currently {cluster.status}: wait until it is ACTIVE",
            )
        have, want = _minor_of(cluster.version), _minor_of(version)
        if have is None or want is None or want != have + 1:
            raise _invalid(
                f"Unsupported Kubernetes minor version update from {cluster.version} to {version}",
                cluster=name,
            )
        cluster.version = version
        cluster.platformVersion = "eks.1"
        update = _record_update(
            cluster,
            "VersionUpdate",
            [
                {"type": "Version", "value": version},
                {"type": "PlatformVersion", "value": cluster.platformVersion},
            ],
        )
        return ActionResult({"update": update})

    def describe_update(self: Any) -> Any:
        name = self._get_param("name")
        update_id = self._get_param("updateId")
        nodegroup = self._get_param("nodegroupName")
        addon = self._get_param("addonName")
        update = _updates_of(_cluster(self.eks_backend, name)).get(update_id)
        if (
            update is None
            or (update["_nodegroup"] or None) != (nodegroup or None)
            or (update["_addon"] or None) != (addon or None)
        ):
            raise _errors().ResourceNotFoundException(
                clusterName=name,
                nodegroupName=nodegroup,
                fargateProfileName=None,
                addonName=addon,
                message=f"No update found for ID: {update_id}",
            )
        return ActionResult({"update": _public(update)})

    def list_updates(self: Any) -> Any:
        name = self._get_param("name")
        nodegroup = self._get_param("nodegroupName")
        addon = self._get_param("addonName")
        updates = _updates_of(_cluster(self.eks_backend, name)).values()
        ids = [
            u["id"]
            for u in sorted(updates, key=lambda u: u["createdAt"])
            if (u["_nodegroup"] or None) == (nodegroup or None)
            and (u["_addon"] or None) == (addon or None)
        ]
        return ActionResult({"updateIds": ids})

    EKSResponse.update_cluster_version = update_cluster_version  # type: ignore[attr-defined]
    EKSResponse.describe_update = describe_update  # type: ignore[attr-defined]
    EKSResponse.list_updates = list_updates  # type: ignore[attr-defined]


# -------------------------------------------------------------------------------------- add-ons


def _addons() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    def find(self: Any, cluster_name: str, addon_name: str) -> tuple[Any, dict[str, Any]]:
        cluster = _cluster(self.eks_backend, cluster_name)
        addon = _addons_of(cluster).get(addon_name)
        if addon is None:
            raise _errors().ResourceNotFoundException(
                clusterName=cluster_name,
                nodegroupName=None,
                fargateProfileName=None,
                addonName=addon_name,
                message=f"No addon: {addon_name} found in cluster: {cluster_name}",
            )
        return cluster, addon

    def create_addon(self: Any) -> Any:
        cluster_name = self._get_param("name")
        addon_name = self._get_param("addonName")
        version = self._get_param("addonVersion")
        cluster = _cluster(self.eks_backend, cluster_name)
        addons = _addons_of(cluster)
        if addon_name in addons:
            raise _errors().ResourceInUseException(
                clusterName=cluster_name,
                nodegroupName=None,
                addonName=addon_name,
                message="Addon already exists.",
            )
        if addon_name not in ADDON_NAMES:
            raise _invalid(f"Addon {addon_name} specified is not supported", cluster=cluster_name)
        if version is None:
            version = default_addon_version(addon_name, cluster.version)
        if version is None or not _compatible(addon_name, version, cluster.version):
            raise _invalid(
                f"Addon version specified is not supported for Kubernetes {cluster.version}",
                cluster=cluster_name,
                addon=addon_name,
            )
        now = _now()
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
            addon["configurationValues"] = values
        addons[addon_name] = addon
        return ActionResult({"addon": addon})

    def describe_addon(self: Any) -> Any:
        _cluster_obj, addon = find(self, self._get_param("name"), self._get_param("addonName"))
        return ActionResult({"addon": addon})

    def list_addons(self: Any) -> Any:
        cluster = _cluster(self.eks_backend, self._get_param("name"))
        return ActionResult({"addons": sorted(_addons_of(cluster))})

    def update_addon(self: Any) -> Any:
        cluster_name = self._get_param("name")
        addon_name = self._get_param("addonName")
        cluster, addon = find(self, cluster_name, addon_name)
        params = []
        version = self._get_param("addonVersion")
        if version is not None:
            if not _compatible(addon_name, version, cluster.version):
                raise _invalid(
                    f"Addon version specified is not supported for Kubernetes {cluster.version}",
                    cluster=cluster_name,
                    addon=addon_name,
                )
            addon["addonVersion"] = version
            params.append({"type": "AddonVersion", "value": version})
        role = self._get_param("serviceAccountRoleArn")
        if role:  # the API takes no empty ARN: a role cannot be removed by an update
            addon["serviceAccountRoleArn"] = role
            params.append({"type": "ServiceAccountRoleArn", "value": role})
        values = self._get_param("configurationValues")
        if values is not None:
            addon["configurationValues"] = values
            params.append({"type": "ConfigurationValues", "value": values})
        conflicts = self._get_param("resolveConflicts")
        if conflicts:
            params.append({"type": "ResolveConflicts", "value": conflicts})
        addon["modifiedAt"] = _now()
        update = _record_update(cluster, "AddonUpdate", params, addon=addon_name)
        return ActionResult({"update": update})

    def delete_addon(self: Any) -> Any:
        cluster_name = self._get_param("name")
        addon_name = self._get_param("addonName")
        cluster, addon = find(self, cluster_name, addon_name)
        del _addons_of(cluster)[addon_name]
        return ActionResult({"addon": {**addon, "status": "DELETING"}})

    def describe_addon_versions(self: Any) -> Any:
        k8s_version = self._get_param("kubernetesVersion")
        name = self._get_param("addonName")
        names = [n for n in ADDON_NAMES if name in (None, n)]
        infos = [_addon_info(n, k8s_version) for n in names]
        return ActionResult({"addons": [i for i in infos if i["addonVersions"]]})

    EKSResponse.create_addon = create_addon  # type: ignore[attr-defined]
    EKSResponse.describe_addon = describe_addon  # type: ignore[attr-defined]
    EKSResponse.list_addons = list_addons  # type: ignore[attr-defined]
    EKSResponse.update_addon = update_addon  # type: ignore[attr-defined]
    EKSResponse.delete_addon = delete_addon  # type: ignore[attr-defined]
    EKSResponse.describe_addon_versions = describe_addon_versions  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------------------- tags


def _tags() -> None:
    """Tag calls find node groups, Fargate profiles and add-ons by ARN, not only clusters."""
    from moto.eks.models import EKSBackend

    def tag_holder(self: Any, arn: str) -> dict[str, str]:
        for cluster in self.clusters.values():
            if cluster.arn == arn:
                tags: dict[str, str] = cluster.tags
                return tags
            for nodegroup in cluster.nodegroups.values():
                if nodegroup.arn == arn:
                    return nodegroup.tags
            for profile in cluster.fargate_profiles.values():
                if profile.fargate_profile_arn == arn:
                    return profile.tags
            for addon in _addons_of(cluster).values():
                if addon["addonArn"] == arn:
                    return addon["tags"]
        raise _errors().ResourceNotFoundException(
            clusterName=None,
            nodegroupName=None,
            fargateProfileName=None,
            addonName=None,
            message=f"Resource was not found: {arn}",
        )

    def tag_resource(self: Any, resource_arn: str, tags: dict[str, str]) -> None:
        tag_holder(self, resource_arn).update(tags or {})

    def untag_resource(self: Any, resource_arn: str, tag_keys: Any) -> None:
        holder = tag_holder(self, resource_arn)
        for key in [tag_keys] if isinstance(tag_keys, str) else tag_keys or []:
            holder.pop(key, None)

    def list_tags_for_resource(self: Any, resource_arn: str) -> dict[str, str]:
        return tag_holder(self, resource_arn)

    EKSBackend.tag_resource = tag_resource  # type: ignore[method-assign]
    EKSBackend.untag_resource = untag_resource  # type: ignore[method-assign]
    EKSBackend.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]


# ------------------------------------------------------------------------------------------ IAM


def _oidc_client_ids() -> None:
    """AddClientIDToOpenIDConnectProvider / RemoveClientIDFromOpenIDConnectProvider.

    AWS: adding an ID already there and removing one that is not there both succeed.
    """
    from moto.core.responses import EmptyResult
    from moto.iam.responses import IamResponse

    def add_client_id_to_open_id_connect_provider(self: Any) -> Any:
        provider = self.backend.get_open_id_connect_provider(
            self._get_param("OpenIDConnectProviderArn")
        )
        client_id = self._get_param("ClientID")
        if client_id not in provider.client_id_list:
            provider.client_id_list = [*provider.client_id_list, client_id]
        return EmptyResult()

    def remove_client_id_from_open_id_connect_provider(self: Any) -> Any:
        provider = self.backend.get_open_id_connect_provider(
            self._get_param("OpenIDConnectProviderArn")
        )
        client_id = self._get_param("ClientID")
        provider.client_id_list = [c for c in provider.client_id_list if c != client_id]
        return EmptyResult()

    IamResponse.add_client_id_to_open_id_connect_provider = (  # type: ignore[attr-defined]
        add_client_id_to_open_id_connect_provider
    )
    IamResponse.remove_client_id_from_open_id_connect_provider = (  # type: ignore[attr-defined]
        remove_client_id_from_open_id_connect_provider
    )
