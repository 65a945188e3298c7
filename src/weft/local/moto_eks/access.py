"""EKS access entries and access policies, which moto 5.2.5 lacks: CreateAccessEntry,
DescribeAccessEntry, ListAccessEntries, UpdateAccessEntry, DeleteAccessEntry,
AssociateAccessPolicy, ListAssociatedAccessPolicies, DisassociateAccessPolicy,
ListAccessPolicies, and the cluster's ``accessConfig`` (CreateCluster, DescribeCluster,
UpdateClusterConfig).

As "Grant IAM users access to Kubernetes with EKS access entries" (Amazon EKS User Guide,
https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html) and the EKS API reference
describe:

- **Authentication mode.** A cluster created without ``accessConfig`` has ``CONFIG_MAP`` (the
  API's default; ``bootstrapClusterCreatorAdminPermissions`` defaults to true). In ``API`` or
  ``API_AND_CONFIG_MAP`` mode the creator gets an access entry with
  ``AmazonEKSClusterAdminPolicy`` at cluster scope when bootstrapping is on. UpdateClusterConfig
  ``accessConfig`` moves the mode only forward (``CONFIG_MAP`` → ``API_AND_CONFIG_MAP`` →
  ``API``): "you can't change the authentication mode back" (``InvalidParameterException``); it
  is an ``AccessConfigUpdate``.
- **Access entries** need an API mode (``InvalidRequestException`` on a ``CONFIG_MAP``
  cluster); their principal must be an IAM role or user that exists
  (``InvalidParameterException``); one entry per principal (``ResourceInUseException``); no
  Kubernetes group or username may start with ``system:`` (``InvalidParameterException``).
- **Access policies** are EKS's own (:data:`POLICIES`, ListAccessPolicies); associating
  another ARN, a ``cluster`` scope that names namespaces, or a ``namespace`` scope that names
  none is ``InvalidParameterException``; only ``STANDARD`` entries take policies.
  Associating a policy already associated replaces its scope. Deleting an entry removes its
  associations.

The entries live on moto's cluster object (``weft_access_entries``), so they go with the cluster;
the authenticator of the local Kubernetes reads them (:func:`principals`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from weft.local.moto_eks import backend

_ENTRY = "{0}/clusters/(?P<name>[^/]+)/access-entries"
PATHS = (
    _ENTRY + "$",
    _ENTRY + "/(?P<principalArn>arn:.+)/access-policies/(?P<policyArn>arn:[^/]+/[^/]+)$",
    _ENTRY + "/(?P<principalArn>arn:.+)/access-policies$",
    _ENTRY + "/(?P<principalArn>arn:.+)$",
    "{0}/access-policies$",
)

AUTHENTICATION_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
API_MODES = frozenset({"API", "API_AND_CONFIG_MAP"})
POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
#: The access policies EKS offers (ListAccessPolicies), by name.
POLICIES = (
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
)
#: CreateAccessEntry's ``type`` values.
ENTRY_TYPES = ("STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "EC2", "HYBRID_LINUX")
CLUSTER_ADMIN = POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"
_PRINCIPAL_RE = re.compile(r"arn:aws[a-z-]*:(iam|sts)::(\d{12}):(role|user|assumed-role)/(.+)")


def access_config(cluster: Any) -> dict[str, Any]:
    """The cluster's ``accessConfig`` as EKS reports it."""
    config = getattr(cluster, "access_config", None)
    if not isinstance(config, dict):
        config = {
            "authenticationMode": "CONFIG_MAP",
            "bootstrapClusterCreatorAdminPermissions": True,
        }
        cluster.access_config = config  # DescribeCluster's accessConfig
    return config


def entries_of(cluster: Any) -> dict[str, dict[str, Any]]:
    if not hasattr(cluster, "weft_access_entries"):
        cluster.weft_access_entries = {}
    entries: dict[str, dict[str, Any]] = cluster.weft_access_entries
    return entries


def iam_principal(arn: str) -> str:
    """The IAM principal an identity ARN stands for: an assumed role's session is its role
    (``arn:aws:sts::A:assumed-role/R/S`` → ``arn:aws:iam::A:role/R``), as EKS maps it."""
    match = _PRINCIPAL_RE.fullmatch(arn)
    if match and match.group(3) == "assumed-role":
        role = match.group(4).split("/")[0]
        return f"arn:aws:iam::{match.group(2)}:role/{role}"
    return arn


def mode_change_problem(current: str, wanted: str) -> str | None:
    """None when EKS moves a cluster from ``current`` to ``wanted``; else why it refuses."""
    if wanted not in AUTHENTICATION_MODES:
        return f"Unsupported authentication mode: {wanted}"
    if wanted == current:
        return "No changes needed for the provided cluster config."
    if AUTHENTICATION_MODES.index(wanted) < AUTHENTICATION_MODES.index(current):
        return (
            f"Unsupported authentication mode update from {current} to {wanted}. The "
            "authentication mode can only move from CONFIG_MAP to API_AND_CONFIG_MAP to API."
        )
    return None


def scope_problem(scope: Any) -> str | None:
    """None for an ``accessScope`` EKS accepts; else its message."""
    if not isinstance(scope, dict) or scope.get("type") not in ("cluster", "namespace"):
        return "accessScope.type must be one of [cluster, namespace]"
    namespaces = scope.get("namespaces") or []
    if scope["type"] == "cluster" and namespaces:
        return "Namespaces must be empty when the access scope type is cluster"
    if scope["type"] == "namespace" and not namespaces:
        return "At least one namespace is required when the access scope type is namespace"
    return None


def names_problem(groups: Iterable[str], username: str | None) -> str | None:
    """EKS refuses Kubernetes groups and usernames in the ``system:`` namespace."""
    for group in groups:
        if str(group).startswith("system:"):
            return f"The kubernetes group name {group} is invalid, it cannot start with system:"
    if username and username.startswith("system:"):
        return f"The username {username} is invalid, it cannot start with system:"
    return None


def principals(clusters: Iterable[Any]) -> dict[str, list[dict[str, Any]]]:
    """Every principal with an access entry on one of ``clusters`` (in an API mode): principal
    ARN -> its entries (each with ``associatedAccessPolicies``)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for cluster in clusters:
        if access_config(cluster)["authenticationMode"] not in API_MODES:
            continue
        for arn, entry in entries_of(cluster).items():
            found.setdefault(arn, []).append(
                {**_public(entry), "associatedAccessPolicies": list(entry["_policies"].values())}
            )
    return found


def creators(clusters: Iterable[Any]) -> set[str]:
    """The creators of clusters whose aws-auth ConfigMap still counts (a ``CONFIG_MAP`` mode):
    EKS makes a cluster's creator its administrator there without any entry."""
    return {
        str(getattr(c, "weft_creator", ""))
        for c in clusters
        if access_config(c)["authenticationMode"] != "API" and getattr(c, "weft_creator", "")
    }


def _public(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def _entry(backend_: Any, cluster: Any, principal: str, **fields: Any) -> dict[str, Any]:
    now = backend.now()
    kind = fields.get("type") or "STANDARD"
    name = str(cluster.name)
    return {
        "clusterName": name,
        "principalArn": principal,
        "kubernetesGroups": list(fields.get("kubernetesGroups") or []),
        "accessEntryArn": (
            f"arn:aws:eks:{backend_.region_name}:{backend_.account_id}:access-entry/{name}/"
            f"{principal.split(':', 5)[-1].replace(':', '/')}/{backend.hex32()[:8].lower()}"
        ),
        "createdAt": now,
        "modifiedAt": now,
        "tags": dict(fields.get("tags") or {}),
        "username": fields.get("username") or _default_username(principal, kind),
        "type": kind,
        "_policies": {},
    }


def new_entry(backend_: Any, cluster: Any, principal: str, **fields: Any) -> dict[str, Any]:
    """A new access entry of ``principal`` on ``cluster``, for a service that makes its own (an
    AMP managed collector's role: :mod:`weft.local.moto_amp`)."""
    return _entry(backend_, cluster, principal, **fields)


def _default_username(principal: str, kind: str) -> str:
    if kind in ("EC2_LINUX", "EC2_WINDOWS"):
        return "system:node:{{EC2PrivateDNSName}}"
    if kind == "FARGATE_LINUX":
        return "system:node:{{SessionName}}"
    match = _PRINCIPAL_RE.fullmatch(principal)
    if match and match.group(3) == "role":
        return principal.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + (
            "/{{SessionName}}"
        )
    return principal


def _principal_exists(account_id: str, principal: str) -> bool:
    from moto.iam.models import iam_backends

    match = _PRINCIPAL_RE.fullmatch(principal)
    if not match or match.group(1) != "iam" or match.group(2) != account_id:
        return False
    iam = iam_backends[account_id]["aws"]
    name = match.group(4).split("/")[-1]
    if match.group(3) == "role":
        return any(r.arn == principal for r in iam.roles.values())
    return name in iam.users


def bootstrap(cluster: Any, creator: str, config: dict[str, Any] | None, backend_: Any) -> None:
    """Set a new cluster's ``accessConfig`` and its creator's entry (see the module docstring)."""
    settings = access_config(cluster)
    if config:
        if config.get("authenticationMode"):
            settings["authenticationMode"] = config["authenticationMode"]
        if config.get("bootstrapClusterCreatorAdminPermissions") is not None:
            settings["bootstrapClusterCreatorAdminPermissions"] = bool(
                config["bootstrapClusterCreatorAdminPermissions"]
            )
    cluster.weft_creator = creator
    if (
        settings["authenticationMode"] in API_MODES
        and settings["bootstrapClusterCreatorAdminPermissions"]
    ):
        entry = _entry(backend_, cluster, creator)
        entry["_policies"][CLUSTER_ADMIN] = _association(CLUSTER_ADMIN, {"type": "cluster"})
        entries_of(cluster)[creator] = entry


def _association(policy: str, scope: dict[str, Any]) -> dict[str, Any]:
    now = backend.now()
    clean = {"type": scope["type"], "namespaces": list(scope.get("namespaces") or [])}
    return {"policyArn": policy, "accessScope": clean, "associatedAt": now, "modifiedAt": now}


def caller(response: Any) -> str:
    """The IAM principal that signed the request ``response`` answers."""
    from moto.sts.models import sts_backends

    sts = sts_backends[response.current_account]["global"]
    _user_id, arn, _account = sts.get_caller_identity(response.get_access_key(), response.region)
    return iam_principal(str(arn))


def apply() -> None:
    from moto.core.responses import ActionResult
    from moto.eks.responses import EKSResponse

    original_create = EKSResponse.create_cluster

    def create_cluster(self: Any) -> Any:
        config = self._get_param("accessConfig")
        mode = (config or {}).get("authenticationMode")
        if mode is not None and mode not in AUTHENTICATION_MODES:
            raise backend.invalid(f"Unsupported authentication mode: {mode}")
        result = original_create(self)
        cluster = self.eks_backend.clusters.get(self._get_param("name"))
        if cluster is not None and not hasattr(cluster, "weft_creator"):
            bootstrap(cluster, caller(self), config, self.eks_backend)
        return result

    EKSResponse.create_cluster = create_cluster  # type: ignore[method-assign]

    original_update_config = EKSResponse.update_cluster_config

    def update_cluster_config(self: Any) -> Any:
        config = self._get_param("accessConfig")
        if not config:
            return original_update_config(self)
        name = self._get_param("name")
        if any(self._get_param(k) for k in ("resourcesVpcConfig", "logging")) or (
            self._get_param("deletionProtection") is not None
        ):
            raise backend.invalid("Only one type of update can be allowed.", cluster=name)
        cluster = backend.cluster(self.eks_backend, name)
        settings = access_config(cluster)
        wanted = str(config.get("authenticationMode") or "")
        problem = mode_change_problem(settings["authenticationMode"], wanted)
        if problem:
            raise backend.invalid(problem, cluster=name)
        settings["authenticationMode"] = wanted
        update = backend.record_update(
            cluster, "AccessConfigUpdate", [{"type": "AuthenticationMode", "value": wanted}]
        )
        return ActionResult({"update": update})

    EKSResponse.update_cluster_config = update_cluster_config  # type: ignore[method-assign]

    def api_cluster(self: Any) -> Any:
        name = self._get_param("name")
        cluster = backend.cluster(self.eks_backend, name)
        if access_config(cluster)["authenticationMode"] not in API_MODES:
            raise backend.invalid_request(
                "The cluster's authentication mode must be set to one of "
                "[API, API_AND_CONFIG_MAP] to perform this operation.",
                cluster=name,
            )
        return cluster

    def find(self: Any) -> tuple[Any, dict[str, Any]]:
        cluster = api_cluster(self)
        principal = self._get_param("principalArn")
        entry = entries_of(cluster).get(principal)
        if entry is None:
            raise backend.not_found(
                f"The specified principalArn could not be found: {principal}",
                cluster=cluster.name,
            )
        return cluster, entry

    def create_access_entry(self: Any) -> Any:
        cluster = api_cluster(self)
        principal = str(self._get_param("principalArn") or "")
        kind = self._get_param("type") or "STANDARD"
        groups = self._get_param("kubernetesGroups") or []
        username = self._get_param("username")
        if kind not in ENTRY_TYPES:
            raise backend.invalid(f"The type {kind} is not supported.", cluster=cluster.name)
        if not _principal_exists(self.eks_backend.account_id, principal):
            raise backend.invalid(
                f"The specified principalArn is invalid: invalid principal {principal}",
                cluster=cluster.name,
            )
        problem = names_problem(groups, username)
        if problem:
            raise backend.invalid(problem, cluster=cluster.name)
        if kind != "STANDARD" and (groups or username):
            raise backend.invalid(
                f"kubernetesGroups and username cannot be specified for type {kind}",
                cluster=cluster.name,
            )
        entries = entries_of(cluster)
        if principal in entries:
            raise backend.in_use(
                cluster.name,
                "The specified access entry resource is already in use on this cluster.",
            )
        entry = _entry(
            self.eks_backend,
            cluster,
            principal,
            type=kind,
            kubernetesGroups=groups,
            username=username,
            tags=self._get_param("tags"),
        )
        entries[principal] = entry
        return ActionResult({"accessEntry": _public(entry)})

    def describe_access_entry(self: Any) -> Any:
        _cluster, entry = find(self)
        return ActionResult({"accessEntry": _public(entry)})

    def list_access_entries(self: Any) -> Any:
        cluster = api_cluster(self)
        policy = self._get_param("associatedPolicyArn")
        arns = [
            arn
            for arn, entry in sorted(entries_of(cluster).items())
            if policy is None or policy in entry["_policies"]
        ]
        return ActionResult({"accessEntries": arns})

    def update_access_entry(self: Any) -> Any:
        cluster, entry = find(self)
        groups = self._get_param("kubernetesGroups")
        username = self._get_param("username")
        problem = names_problem(groups or [], username)
        if problem:
            raise backend.invalid(problem, cluster=cluster.name)
        if groups is not None:
            entry["kubernetesGroups"] = list(groups)
        if username:
            entry["username"] = username
        entry["modifiedAt"] = backend.now()
        return ActionResult({"accessEntry": _public(entry)})

    def delete_access_entry(self: Any) -> Any:
        cluster, entry = find(self)
        del entries_of(cluster)[entry["principalArn"]]
        return ActionResult({})

    def associate_access_policy(self: Any) -> Any:
        cluster, entry = find(self)
        policy = str(self._get_param("policyArn") or "")
        scope = self._get_param("accessScope")
        if policy.removeprefix(POLICY_PREFIX) not in POLICIES or not policy.startswith(
            POLICY_PREFIX
        ):
            raise backend.invalid(
                f"The specified policyArn is invalid: {policy}", cluster=cluster.name
            )
        problem = scope_problem(scope)
        if problem:
            raise backend.invalid(problem, cluster=cluster.name)
        if entry["type"] != "STANDARD":
            raise backend.invalid(
                f"Access policies can only be associated with access entries of type STANDARD "
                f"(this one is {entry['type']})",
                cluster=cluster.name,
            )
        previous = entry["_policies"].get(policy)
        association = _association(policy, scope)
        if previous:
            association["associatedAt"] = previous["associatedAt"]
        entry["_policies"][policy] = association
        return ActionResult(
            {
                "clusterName": cluster.name,
                "principalArn": entry["principalArn"],
                "associatedAccessPolicy": association,
            }
        )

    def list_associated_access_policies(self: Any) -> Any:
        cluster, entry = find(self)
        return ActionResult(
            {
                "clusterName": cluster.name,
                "principalArn": entry["principalArn"],
                "associatedAccessPolicies": list(entry["_policies"].values()),
            }
        )

    def disassociate_access_policy(self: Any) -> Any:
        cluster, entry = find(self)
        policy = self._get_param("policyArn")
        if entry["_policies"].pop(policy, None) is None:
            raise backend.not_found(
                f"The specified policy {policy} is not associated with {entry['principalArn']}",
                cluster=cluster.name,
            )
        return ActionResult({})

    def list_access_policies(self: Any) -> Any:
        return ActionResult(
            {"accessPolicies": [{"name": n, "arn": POLICY_PREFIX + n} for n in POLICIES]}
        )

    EKSResponse.create_access_entry = create_access_entry  # type: ignore[attr-defined]
    EKSResponse.describe_access_entry = describe_access_entry  # type: ignore[attr-defined]
    EKSResponse.list_access_entries = list_access_entries  # type: ignore[attr-defined]
    EKSResponse.update_access_entry = update_access_entry  # type: ignore[attr-defined]
    EKSResponse.delete_access_entry = delete_access_entry  # type: ignore[attr-defined]
    EKSResponse.associate_access_policy = associate_access_policy  # type: ignore[attr-defined]
    EKSResponse.list_associated_access_policies = list_associated_access_policies  # type: ignore[attr-defined]
    EKSResponse.disassociate_access_policy = disassociate_access_policy  # type: ignore[attr-defined]
    EKSResponse.list_access_policies = list_access_policies  # type: ignore[attr-defined]
