"""The fabric's EKS cluster: its Kubernetes version, network, endpoint access, logs, encryption.

Creating takes 10-15 minutes on AWS; the wait reports progress. Every in-place change is an EKS
*update* (one at a time per cluster), waited on through its id: the version (one minor version
at a time, as EKS allows), endpoint access, subnets (in the zones the cluster was created in,
as EKS requires), logging, deletion protection, the authentication mode (forward only:
``CONFIG_MAP`` → ``API_AND_CONFIG_MAP`` → ``API``); tags change directly. Security groups, role
and encryption key are fixed at creation here (replacement).

Clusters are made in ``API`` mode with the creator's access entry (cluster admin, which EKS
makes): who else may use the cluster is access entries (:mod:`.eks_access_entry`). How
clusters are found and waited on: :mod:`.eks`.

``auto_mode`` is EKS Auto Mode: ``computeConfig`` (the built-in node pools ``general-purpose``
and ``system``, nodes with ``auto_node_role_arn``), ``storageConfig.blockStorage`` and
``kubernetesNetworkConfig.elasticLoadBalancing``, sent together (EKS refuses them apart) on
CreateCluster, or turned on or off by one UpdateClusterConfig (an ``AutoModeUpdate``). The node
role cannot change while Auto Mode is on (EKS refuses it; so does :meth:`refusals`).

``deletion_protection`` (EKS's ``deletionProtection``, set for a protected fabric) makes EKS
refuse DeleteCluster from anyone, weft included: as for a database, ``down`` refuses before
deleting anything (:mod:`weft.ops.guard`) and names how to lift it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.aws.context import AwsContext
from weft.aws.drivers import eks, kit, tagger
from weft.aws.drivers.base import Refusal
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError

KIND = "eks_cluster"
TIMEOUT = 1800.0
VERSION_TIMEOUT = 3600.0
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
#: EKS's authentication modes, in the only order it moves a cluster through them.
AUTHENTICATION_MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
_ENDPOINT_FIELDS = frozenset({"endpoint_public", "endpoint_private", "public_access_cidrs"})


def protection_hint(name: str) -> str:
    """How to lift the deletion protection of cluster ``name``."""
    return (
        f"aws eks update-cluster-config --name {name} --no-deletion-protection "
        "(or set protect: false and run weft up)"
    )


def _minor(version: str) -> tuple[int, int]:
    major, _, minor = str(version).partition(".")
    try:
        return int(major), int(minor.split(".")[0])
    except ValueError:
        raise PermanentError(f"{version!r} is not a Kubernetes version like '1.31'") from None


def _enabled_logs(cluster: Mapping[str, Any]) -> list[str]:
    enabled: set[str] = set()
    for entry in (cluster.get("logging") or {}).get("clusterLogging") or []:
        if entry.get("enabled"):
            enabled |= set(entry.get("types") or [])
    return sorted(enabled)


def _logging(enable: list[str], disable: list[str]) -> dict[str, Any]:
    entries = []
    if enable:
        entries.append({"types": sorted(enable), "enabled": True})
    if disable:
        entries.append({"types": sorted(disable), "enabled": False})
    return {"clusterLogging": entries}


def _endpoint_config(props: Mapping[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "endpointPublicAccess": bool(props["endpoint_public"]),
        "endpointPrivateAccess": bool(props["endpoint_private"]),
    }
    if props["endpoint_public"] and props["public_access_cidrs"]:
        config["publicAccessCidrs"] = list(props["public_access_cidrs"])
    return config


def _props(cluster: Mapping[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    vpc = cluster.get("resourcesVpcConfig") or {}
    public = bool(vpc.get("endpointPublicAccess", True))
    key = None
    for config in cluster.get("encryptionConfig") or []:
        key = (config.get("provider") or {}).get("keyArn") or key
    return {
        "name": cluster["name"],
        "version": cluster.get("version"),
        "role_arn": cluster.get("roleArn"),
        "subnet_ids": list(vpc.get("subnetIds") or []),
        "security_group_ids": list(vpc.get("securityGroupIds") or []),
        "endpoint_public": public,
        "endpoint_private": bool(vpc.get("endpointPrivateAccess", False)),
        # AWS keeps (and reports) the CIDRs while public access is off: they mean nothing then
        "public_access_cidrs": list(vpc.get("publicAccessCidrs") or []) if public else [],
        "logging": _enabled_logs(cluster),
        "encryption_key_arn": key,
        "deletion_protection": bool(cluster.get("deletionProtection", False)),
        "authentication_mode": str(
            (cluster.get("accessConfig") or {}).get("authenticationMode") or "CONFIG_MAP"
        ),
        "auto_mode": bool((cluster.get("computeConfig") or {}).get("enabled")),
        "auto_node_role_arn": (cluster.get("computeConfig") or {}).get("nodeRoleArn") or None,
        "tags": tags,
    }


#: EKS Auto Mode's built-in node pools, both used.
AUTO_MODE_NODE_POOLS = ["general-purpose", "system"]


def auto_mode_config(on: bool, node_role_arn: str | None) -> dict[str, Any]:
    """The three settings that make (or unmake) an EKS Auto Mode cluster, as CreateCluster and
    UpdateClusterConfig take them: EKS wants all of them, on or off together."""
    compute: dict[str, Any] = {"enabled": on}
    if on:
        compute.update(nodePools=list(AUTO_MODE_NODE_POOLS), nodeRoleArn=node_role_arn)
    return {
        "computeConfig": compute,
        "storageConfig": {"blockStorage": {"enabled": on}},
        "kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": on}},
    }


class EksClusterDriver(eks.EksDriver):
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"name", "role_arn", "security_group_ids", "encryption_key_arn"}),
        unordered=frozenset({"subnet_ids", "security_group_ids", "public_access_cidrs", "logging"}),
        updatable=frozenset(
            {
                "version",
                "subnet_ids",
                "logging",
                "deletion_protection",
                "authentication_mode",
                "auto_mode",
                "auto_node_role_arn",
            }
        )
        | {"tags"}
        | _ENDPOINT_FIELDS,
        shown=(
            "version",
            "endpoint_public",
            "endpoint_private",
            "public_access_cidrs",
            "authentication_mode",
            "auto_mode",
        ),
    )
    noun = "EKS cluster"
    timeout = TIMEOUT
    create_failed = frozenset({"FAILED", "DELETING"})
    delete_failed = frozenset()

    def name_of(self, props: Mapping[str, Any]) -> str:
        return str(props["name"])

    def live(self, ctx: AwsContext, props: Mapping[str, Any]) -> eks.Item | None:
        return eks.describe(ctx, self.name_of(props))

    def items(self, ctx: AwsContext) -> list[eks.Item]:
        return eks.fabric_clusters(ctx)

    def remove(self, ctx: AwsContext, props: Mapping[str, Any]) -> None:
        name = self.name_of(props)
        live = eks.describe(ctx, name)
        if live is not None and live.get("deletionProtection"):
            raise PermanentError(
                f"EKS cluster {name} has deletion protection",
                address=f"{KIND}.main",
                hint=protection_hint(name),
            )
        ctx.client("eks").delete_cluster(name=name)

    def taken(self, props: Mapping[str, Any], address: str) -> PermanentError:
        return PermanentError(
            f"an EKS cluster named {props['name']} already exists and is not this fabric's",
            address=address,
            hint="EKS cluster names are unique per account and region: rename the fabric, "
            "or delete that cluster",
        )

    def observe(self, ctx: AwsContext, name: str, item: eks.Item) -> Observed:
        issuer = ((item.get("identity") or {}).get("oidc") or {}).get("issuer")
        outputs = {
            "arn": item.get("arn"),
            "endpoint": item.get("endpoint"),
            "ca_data": (item.get("certificateAuthority") or {}).get("data"),
            "oidc_issuer": issuer,
            # what IAM conditions name: the issuer without its scheme
            "oidc_issuer_host": issuer.removeprefix("https://") if issuer else None,
            "platform_version": item.get("platformVersion"),
            "cluster_security_group_id": (item.get("resourcesVpcConfig") or {}).get(
                "clusterSecurityGroupId"
            ),
            # what the AWS Load Balancer Controller is told (its pods cannot ask IMDS)
            "vpc_id": (item.get("resourcesVpcConfig") or {}).get("vpcId"),
        }
        props = _props(item, eks.tags_of(item))
        state = str(item.get("status", "ACTIVE")).lower()
        return self.observed(name, item["name"], props, outputs, state=state)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        kwargs: dict[str, Any] = {
            "name": props["name"],
            "version": props["version"],
            "roleArn": props["role_arn"],
            "resourcesVpcConfig": {
                "subnetIds": list(props["subnet_ids"]),
                "securityGroupIds": list(props["security_group_ids"]),
                **_endpoint_config(props),
            },
            "logging": _logging(
                list(props["logging"]), [t for t in LOG_TYPES if t not in props["logging"]]
            ),
            # the creator gets an access entry with cluster admin (EKS makes it)
            "accessConfig": {
                "authenticationMode": props.get("authentication_mode") or "API",
                "bootstrapClusterCreatorAdminPermissions": True,
            },
            "tags": eks.eks_tags(props["tags"]),
            "clientRequestToken": ctx.token(resource.address),
        }
        if props.get("deletion_protection"):
            kwargs["deletionProtection"] = True
        if props.get("auto_mode"):
            kwargs.update(auto_mode_config(True, props.get("auto_node_role_arn")))
        if props.get("encryption_key_arn"):
            kwargs["encryptionConfig"] = [
                {"resources": ["secrets"], "provider": {"keyArn": props["encryption_key_arn"]}}
            ]
        ctx.client("eks").create_cluster(**kwargs)
        return self.observe(ctx, resource.name, self.wait_for(ctx, resource.address, props))

    def refusals(self, props: Mapping[str, Any], observed: Observed) -> list[Refusal]:
        have = str(observed.props.get("authentication_mode") or "CONFIG_MAP")
        want = str(props.get("authentication_mode") or have)
        modes = AUTHENTICATION_MODES
        if want in modes and have in modes and modes.index(want) < modes.index(have):
            return [
                Refusal(
                    "authentication_mode",
                    f"EKS cannot move a cluster's authentication mode back ({have} → {want})",
                    "keep the cluster's mode, or replace the cluster",
                )
            ]
        role = observed.props.get("auto_node_role_arn")
        if (
            observed.props.get("auto_mode")
            and props.get("auto_mode")
            and role
            and props.get("auto_node_role_arn") not in (None, role)
        ):
            return [
                Refusal(
                    "auto_node_role_arn",
                    "EKS cannot change the node role of an Auto Mode cluster",
                    "keep the role, or turn Auto Mode off (compute: nodegroups) and on again",
                )
            ]
        return []

    def change(self, edit: kit.Edit) -> Observed:
        ctx, props, changed = edit.ctx, edit.props, edit.changed
        name, address = edit.id, edit.address
        client = ctx.client("eks")
        # Read the cluster again: after an interrupted run part of the change may be done.
        live = self.wait_for(ctx, address, props)
        if "version" in changed and live.get("version") != props["version"]:
            have, want = _minor(live["version"]), _minor(props["version"])
            if want < have:
                raise PermanentError(
                    f"EKS cannot downgrade a cluster ({live['version']} → {props['version']})",
                    address=address,
                )
            if want != (have[0], have[1] + 1):
                raise PermanentError(
                    "EKS upgrades one minor version at a time: "
                    f"{live['version']} → {have[0]}.{have[1] + 1} first",
                    address=address,
                )
            update = client.update_cluster_version(name=name, version=props["version"])["update"]
            eks.wait_update(ctx, address, name, update, timeout=VERSION_TIMEOUT)
            live = self.wait_for(ctx, address, props)
        current = _props(live, props["tags"])
        endpoint_changed = (
            current["endpoint_public"] != props["endpoint_public"]
            or current["endpoint_private"] != props["endpoint_private"]
            or sorted(current["public_access_cidrs"]) != sorted(props["public_access_cidrs"])
        )
        if changed & _ENDPOINT_FIELDS and endpoint_changed:
            update = client.update_cluster_config(
                name=name, resourcesVpcConfig=_endpoint_config(props)
            )["update"]
            eks.wait_update(ctx, address, name, update, timeout=TIMEOUT)
            live = self.wait_for(ctx, address, props)
        if "subnet_ids" in changed and sorted(current["subnet_ids"]) != sorted(props["subnet_ids"]):
            update = client.update_cluster_config(
                name=name, resourcesVpcConfig={"subnetIds": list(props["subnet_ids"])}
            )["update"]
            eks.wait_update(ctx, address, name, update, timeout=TIMEOUT)
            live = self.wait_for(ctx, address, props)
        if "logging" in changed:
            have_logs, want_logs = set(_enabled_logs(live)), set(props["logging"])
            if have_logs != want_logs:
                update = client.update_cluster_config(
                    name=name,
                    logging=_logging(sorted(want_logs - have_logs), sorted(have_logs - want_logs)),
                )["update"]
                eks.wait_update(ctx, address, name, update, timeout=TIMEOUT)
                live = self.wait_for(ctx, address, props)
        protect = bool(props.get("deletion_protection"))
        if "deletion_protection" in changed and bool(live.get("deletionProtection")) != protect:
            update = client.update_cluster_config(name=name, deletionProtection=protect)["update"]
            eks.wait_update(ctx, address, name, update, timeout=TIMEOUT)
            live = self.wait_for(ctx, address, props)
        mode = props.get("authentication_mode")
        if (
            "authentication_mode" in changed
            and mode
            and _props(live, {})["authentication_mode"] != mode
        ):
            update = client.update_cluster_config(
                name=name, accessConfig={"authenticationMode": mode}
            )["update"]
            eks.wait_update(ctx, address, name, update, timeout=TIMEOUT)
            live = self.wait_for(ctx, address, props)
        auto = bool(props.get("auto_mode"))
        if {"auto_mode", "auto_node_role_arn"} & changed and (
            _props(live, {})["auto_mode"] != auto
            or (auto and _props(live, {})["auto_node_role_arn"] != props.get("auto_node_role_arn"))
        ):
            update = client.update_cluster_config(
                name=name, **auto_mode_config(auto, props.get("auto_node_role_arn"))
            )["update"]
            eks.wait_update(ctx, address, name, update, timeout=TIMEOUT)
            live = self.wait_for(ctx, address, props)
        if "tags" in changed:
            tagger.EKS.ensure(ctx, live["arn"], eks.tags_of(live), props["tags"])
            live = {**live, "tags": eks.eks_tags(props["tags"])}
        return self.observe(ctx, edit.resource.name, live)


DRIVER = EksClusterDriver()
