"""EKS managed add-ons (vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver): version and IRSA role.

**Versions.** ``addon_version`` None means "the version EKS picks for the cluster" (the
``defaultVersion`` of DescribeAddonVersions for the cluster's Kubernetes version). weft records
that choice on the add-on with the tag ``weft:addon-version=default``, kept out of the reported
tags. Discovery reports ``addon_version`` None when that tag is there *and* the running version
is the current default, and the concrete version otherwise. So:

- an unchanged add-on diffs equal, whether it follows the default or is pinned (even pinned to
  the version that happens to be the default);
- after a cluster upgrade the default moves on; an add-on that follows it then reports its old
  version, differs from None, and the update installs the new default;
- the running version is always in the outputs (``version``).

**Role.** UpdateAddon can set or change ``service_account_role_arn`` but not remove it (the
API wants an ARN): going back to None deletes the add-on *preserving its Kubernetes objects*
(``preserve=True``, so its pods keep running) and creates it again without a role. An
add-on found in the fabric's cluster without weft's tags (made outside weft) is taken over:
the cluster is the fabric's, and ``resolveConflicts=OVERWRITE`` is weft's choice everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import eks_cluster, pagination
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError, TemporaryError

KIND = "eks_addon"
CREATE_TIMEOUT = 1200.0
DELETE_TIMEOUT = 1200.0
#: On an add-on that follows the cluster's default version (never reported as a tag).
VERSION_TAG = "weft:addon-version"
FOLLOWS_DEFAULT = "default"
_GONE = frozenset({"DELETING"})
_USABLE = frozenset({"ACTIVE", "DEGRADED"})


def _describe(ctx: AwsContext, cluster: str, addon: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = ctx.client("eks").describe_addon(
            clusterName=cluster, addonName=addon
        )["addon"]
    except ClientError as exc:
        if errors.is_not_found(exc):
            return None
        raise
    return found


def default_version(ctx: AwsContext, addon: str, k8s_version: str) -> str | None:
    """The version EKS installs of ``addon`` on a cluster of ``k8s_version`` by default."""
    for info in pagination.items(
        ctx.client("eks"),
        "describe_addon_versions",
        "addons",
        addonName=addon,
        kubernetesVersion=k8s_version,
    ):
        if info.get("addonName") != addon:
            continue
        for version in info.get("addonVersions") or []:
            for compat in version.get("compatibilities") or []:
                if compat.get("clusterVersion") == k8s_version and compat.get("defaultVersion"):
                    return str(version["addonVersion"])
    return None


def _reported_tags(addon: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in eks_cluster.tags_of(addon).items() if k != VERSION_TAG}


def _observed(name: str, addon: Mapping[str, Any], default: str | None) -> Observed:
    """``default`` is the cluster's default version of this add-on (None: unknown)."""
    tags = eks_cluster.tags_of(addon)
    running = addon.get("addonVersion")
    follows = tags.get(VERSION_TAG) == FOLLOWS_DEFAULT
    status = str(addon.get("status", "ACTIVE"))
    props = {
        "cluster_name": addon["clusterName"],
        "addon_name": addon["addonName"],
        "addon_version": None if follows and running == default else running,
        "service_account_role_arn": addon.get("serviceAccountRoleArn") or None,
        "tags": _reported_tags(addon),
    }
    return Observed(
        kind=KIND,
        name=name,
        id=addon["addonName"],
        props=props,
        outputs={"arn": addon.get("addonArn"), "version": running},
        state=status.lower(),
    )


def _cluster_version(ctx: AwsContext, cluster: str) -> str:
    found = eks_cluster.describe(ctx, cluster)
    if found is None:
        raise TemporaryError(f"the EKS cluster {cluster} is not visible yet")
    return str(found["version"])


def _wanted_tags(props: Mapping[str, Any]) -> dict[str, str]:
    tags = eks_cluster.eks_tags(props["tags"])
    if props.get("addon_version") is None:
        tags[VERSION_TAG] = FOLLOWS_DEFAULT
    return tags


class EksAddonDriver:
    schema = KindSchema(kind=KIND, immutable=frozenset({"cluster_name", "addon_name"}))

    def discover(self, ctx: AwsContext) -> list[Observed]:
        eks = ctx.client("eks")
        found = []
        defaults: dict[tuple[str, str], str | None] = {}
        for cluster in eks_cluster.fabric_clusters(ctx):
            for addon_name in pagination.items(
                eks, "list_addons", "addons", clusterName=cluster["name"]
            ):
                addon = _describe(ctx, cluster["name"], addon_name)
                if addon is None or addon.get("status") in _GONE:
                    continue
                tags = eks_cluster.tags_of(addon)
                name = tagging.name_from_id_tag(tags, KIND)
                if name is None or not eks_cluster.is_ours(ctx, tags):
                    continue
                default = None
                if tags.get(VERSION_TAG) == FOLLOWS_DEFAULT:
                    key = (addon_name, str(cluster["version"]))
                    if key not in defaults:
                        defaults[key] = default_version(ctx, *key)
                    default = defaults[key]
                found.append(_observed(name, addon, default))
        return found

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        cluster, addon_name = props["cluster_name"], props["addon_name"]
        existing = _describe(ctx, cluster, addon_name)
        if existing is not None:
            if existing.get("status") in _GONE:
                raise TemporaryError(
                    f"the previous add-on {addon_name} is still being deleted",
                    address=resource.address,
                )
            # an add-on in the fabric's cluster: a retried create, or one made outside weft
            live = self._wait_usable(ctx, resource.address, cluster, addon_name)
            found = _observed(resource.name, live, None)
            changed = {"addon_version", "service_account_role_arn", "tags"}
            return self.update(ctx, resource, props, found, changed)
        kwargs: dict[str, Any] = {
            "clusterName": cluster,
            "addonName": addon_name,
            "resolveConflicts": "OVERWRITE",
            "tags": _wanted_tags(props),
            "clientRequestToken": ctx.token(resource.address),
        }
        if props.get("addon_version"):
            kwargs["addonVersion"] = props["addon_version"]
        if props.get("service_account_role_arn"):
            kwargs["serviceAccountRoleArn"] = props["service_account_role_arn"]
        ctx.client("eks").create_addon(**kwargs)
        addon = self._wait_active(ctx, resource.address, cluster, addon_name)
        return self._result(ctx, resource, props, addon)

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        cluster, addon_name = props["cluster_name"], props["addon_name"]
        address = resource.address
        # Read it again: after an interrupted run part of the change may be done.
        live = self._wait_usable(ctx, address, cluster, addon_name)
        request: dict[str, Any] = {}
        if "addon_version" in changed:
            target = props.get("addon_version") or default_version(
                ctx, addon_name, _cluster_version(ctx, cluster)
            )
            if target is None:
                raise PermanentError(
                    f"EKS names no default version of {addon_name} for this cluster",
                    address=address,
                    hint="pin the add-on's version in the fabric file",
                )
            if target != live.get("addonVersion"):
                request["addonVersion"] = target
        if "service_account_role_arn" in changed:
            role = props.get("service_account_role_arn")
            if role is None and live.get("serviceAccountRoleArn"):
                return self._recreate_without_role(ctx, resource, props)
            if role and role != live.get("serviceAccountRoleArn"):
                request["serviceAccountRoleArn"] = role
        if request:
            update = ctx.client("eks").update_addon(
                clusterName=cluster, addonName=addon_name, resolveConflicts="OVERWRITE", **request
            )["update"]
            eks_cluster.wait_update(
                ctx, address, cluster, update, timeout=CREATE_TIMEOUT, addonName=addon_name
            )
            live = self._wait_usable(ctx, address, cluster, addon_name)
        # tags, and the "follows the default version" marker with them
        eks_cluster.update_tags(
            ctx, live["addonArn"], eks_cluster.tags_of(live), _wanted_tags(props)
        )
        live = {**live, "tags": _wanted_tags(props)}
        return self._result(ctx, resource, props, live)

    def _recreate_without_role(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any]
    ) -> Observed:
        cluster, addon_name = props["cluster_name"], props["addon_name"]
        ctx.report(f"add-on {addon_name}: removing its role means adding it again (pods stay)")
        ctx.client("eks").delete_addon(clusterName=cluster, addonName=addon_name, preserve=True)
        self._wait_gone(ctx, resource.address, cluster, addon_name)
        return self.create(ctx, resource, props)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        cluster, addon_name = observed.props["cluster_name"], observed.id
        ctx.client("eks").delete_addon(clusterName=cluster, addonName=addon_name)
        self._wait_gone(ctx, observed.address, cluster, addon_name)

    @staticmethod
    def _wait_gone(ctx: AwsContext, address: str, cluster: str, addon_name: str) -> None:
        eks_cluster.wait_status(
            ctx,
            address,
            f"add-on {addon_name}",
            lambda: _describe(ctx, cluster, addon_name),
            want=None,
            failed=frozenset({"DELETE_FAILED"}),
            timeout=DELETE_TIMEOUT,
        )

    @staticmethod
    def _result(
        ctx: AwsContext, resource: Resource, props: dict[str, Any], addon: Mapping[str, Any]
    ) -> Observed:
        """What now exists; a default-following add-on reports None when on the default."""
        default = None
        if props.get("addon_version") is None:
            default = default_version(
                ctx, props["addon_name"], _cluster_version(ctx, props["cluster_name"])
            )
        return _observed(resource.name, addon, default)

    @staticmethod
    def _wait_active(ctx: AwsContext, address: str, cluster: str, addon: str) -> dict[str, Any]:
        found = eks_cluster.wait_status(
            ctx,
            address,
            f"add-on {addon}",
            lambda: _describe(ctx, cluster, addon),
            want="ACTIVE",
            # DEGRADED while its pods wait for nodes is common at first: keep waiting
            failed=frozenset({"CREATE_FAILED", "DELETING", "DELETE_FAILED"}),
            timeout=CREATE_TIMEOUT,
        )
        assert found is not None
        return found

    @staticmethod
    def _wait_usable(ctx: AwsContext, address: str, cluster: str, addon: str) -> dict[str, Any]:
        found = eks_cluster.wait_status(
            ctx,
            address,
            f"add-on {addon}",
            lambda: _describe(ctx, cluster, addon),
            want=_USABLE,
            failed=frozenset({"DELETING", "DELETE_FAILED"}),
            timeout=CREATE_TIMEOUT,
        )
        assert found is not None
        return found


DRIVER = EksAddonDriver()
