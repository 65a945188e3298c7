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

**Configuration.** ``configuration`` is the add-on's ``configurationValues`` as a JSON object
(``{}``: none): coredns's ``computeType``, the EBS CSI driver's ``k8sTagClusterId`` and
StorageClasses. UpdateAddon sets it (``{}`` clears it); EKS checks it against the add-on's schema.

**Role.** UpdateAddon can set or change ``service_account_role_arn`` but not remove it (the
API wants an ARN): going back to None deletes the add-on *preserving its Kubernetes objects*
(``preserve=True``, so its pods keep running) and creates it again without a role. An
add-on found in the fabric's cluster without weft's tags (made outside weft) is taken over:
the cluster is the fabric's, and ``resolveConflicts=OVERWRITE`` is weft's choice everywhere.
How add-ons are listed, waited on and deleted: :mod:`.eks`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from typing import Any

from weft.aws import eks_upgrade
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import eks, kit, pagination, tagger
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError, TemporaryError

KIND = "eks_addon"
#: On an add-on that follows the cluster's default version (never reported as a tag).
VERSION_TAG = "weft:addon-version"
FOLLOWS_DEFAULT = "default"
_USABLE = frozenset({"ACTIVE", "DEGRADED"})
_UPDATE_FAILED = frozenset({"DELETING", "DELETE_FAILED"})


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


def configuration_values(configuration: Mapping[str, Any]) -> str:
    """``configurationValues`` as weft sends it: JSON, keys sorted (``{}`` for none)."""
    return json.dumps(dict(configuration), sort_keys=True)


def configuration_of(item: Mapping[str, Any]) -> dict[str, Any]:
    """An add-on description's configuration (JSON or YAML, as EKS takes both; ``{}`` when it
    has none)."""
    text = str(item.get("configurationValues") or "").strip()
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        from ruamel.yaml import YAML

        found = YAML(typ="safe").load(text)
    return dict(found) if isinstance(found, dict) else {}


def _cluster_version(ctx: AwsContext, cluster: str) -> str:
    found = eks.describe(ctx, cluster)
    if found is None:
        raise TemporaryError(f"the EKS cluster {cluster} is not visible yet")
    return str(found["version"])


def _wanted_tags(props: Mapping[str, Any]) -> dict[str, str]:
    tags = eks.eks_tags(props["tags"])
    if props.get("addon_version") is None:
        tags[VERSION_TAG] = FOLLOWS_DEFAULT
    return tags


class EksAddonDriver(eks.EksChildDriver):
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset({"cluster_name", "addon_name"}),
        updatable=frozenset({"addon_version", "service_account_role_arn", "configuration", "tags"}),
        shown=("addon_name", "addon_version"),
    )
    noun = "add-on"
    api = eks.ChildApi("addon", "addons", "addonName")
    name_prop = "addon_name"

    def observe(
        self, ctx: AwsContext, name: str, item: eks.Item, default: str | None = None
    ) -> Observed:
        """``default`` is the cluster's default version of this add-on (None: unknown)."""
        tags = eks.tags_of(item)
        running = item.get("addonVersion")
        follows = tags.get(VERSION_TAG) == FOLLOWS_DEFAULT
        props = {
            "cluster_name": item["clusterName"],
            "addon_name": item["addonName"],
            "addon_version": None if follows and running == default else running,
            "service_account_role_arn": item.get("serviceAccountRoleArn") or None,
            "configuration": configuration_of(item),
            "tags": {k: v for k, v in tags.items() if k != VERSION_TAG},
        }
        outputs = {"arn": item.get("addonArn"), "version": running}
        state = str(item.get("status", "ACTIVE")).lower()
        return self.observed(name, item["addonName"], props, outputs, state=state)

    def find(self, ctx: AwsContext, address: str | None = None) -> list[Observed]:
        found = []
        offered: dict[str, eks_upgrade.AddonVersions] = {}
        for cluster in eks.fabric_clusters(ctx):
            for addon in self.children(ctx, cluster):
                tags = eks.tags_of(addon)
                name = tagging.owned_name(tags, fabric=ctx.fabric, kind=KIND, address=address)
                if name is None:
                    continue
                default = None
                if tags.get(VERSION_TAG) == FOLLOWS_DEFAULT:
                    # one DescribeAddonVersions per Kubernetes version, not one per add-on
                    version = str(cluster["version"])
                    if version not in offered:
                        offered[version] = ctx.read_once(
                            f"eks-addon-versions:{version}",
                            partial(eks_upgrade.addon_versions, ctx, version),
                        )
                    default = offered[version].get(addon["addonName"], ([], None))[1]
                found.append(self.observe(ctx, name, addon, default))
        return found

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        existing = self.live(ctx, props)
        if existing is None:
            return self.make(ctx, resource, props)
        if existing.get("status") in eks.GONE:
            raise TemporaryError(
                f"the previous add-on {props['addon_name']} is still being deleted",
                address=resource.address,
            )
        # an add-on in the fabric's cluster: a retried create, or one made outside weft
        live = self._usable(ctx, resource.address, props)
        changed = {"addon_version", "service_account_role_arn", "configuration", "tags"}
        return self.update(ctx, resource, props, self.observe(ctx, resource.name, live), changed)

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        kwargs: dict[str, Any] = {
            "clusterName": props["cluster_name"],
            "addonName": props["addon_name"],
            "resolveConflicts": "OVERWRITE",
            "tags": _wanted_tags(props),
            "clientRequestToken": ctx.token(resource.address),
        }
        if props.get("addon_version"):
            kwargs["addonVersion"] = props["addon_version"]
        if props.get("service_account_role_arn"):
            kwargs["serviceAccountRoleArn"] = props["service_account_role_arn"]
        if props.get("configuration"):
            kwargs["configurationValues"] = configuration_values(props["configuration"])
        ctx.client("eks").create_addon(**kwargs)
        # DEGRADED while its pods wait for nodes is common at first: keep waiting
        addon = self.wait_for(ctx, resource.address, props)
        return self._result(ctx, resource, props, addon)

    def change(self, edit: kit.Edit) -> Observed:
        ctx, resource, props, changed = edit.ctx, edit.resource, edit.props, edit.changed
        cluster, addon_name = props["cluster_name"], props["addon_name"]
        address = resource.address
        # Read it again: after an interrupted run part of the change may be done.
        live = self._usable(ctx, address, props)
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
        wanted = dict(props.get("configuration") or {})
        if "configuration" in changed and wanted != configuration_of(live):
            request["configurationValues"] = configuration_values(wanted)
        if request:
            update = ctx.client("eks").update_addon(
                clusterName=cluster, addonName=addon_name, resolveConflicts="OVERWRITE", **request
            )["update"]
            eks.wait_update(
                ctx, address, cluster, update, timeout=self.timeout, addonName=addon_name
            )
            live = self._usable(ctx, address, props)
        # tags, and the "follows the default version" marker with them
        tagger.EKS.ensure(ctx, live["addonArn"], eks.tags_of(live), _wanted_tags(props))
        live = {**live, "tags": _wanted_tags(props)}
        return self._result(ctx, resource, props, live)

    def _recreate_without_role(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any]
    ) -> Observed:
        cluster, addon_name = props["cluster_name"], props["addon_name"]
        ctx.report(f"add-on {addon_name}: removing its role means adding it again (pods stay)")
        ctx.client("eks").delete_addon(clusterName=cluster, addonName=addon_name, preserve=True)
        self.wait_for(ctx, resource.address, props, want=None)
        return self.create(ctx, resource, props)

    def _usable(self, ctx: AwsContext, address: str, props: Mapping[str, Any]) -> eks.Item:
        return self.wait_for(ctx, address, props, want=_USABLE, failed=_UPDATE_FAILED)

    def _result(
        self, ctx: AwsContext, resource: Resource, props: dict[str, Any], addon: eks.Item
    ) -> Observed:
        """What now exists; a default-following add-on reports None when on the default."""
        default = None
        if props.get("addon_version") is None:
            default = default_version(
                ctx, props["addon_name"], _cluster_version(ctx, props["cluster_name"])
            )
        return self.observe(ctx, resource.name, addon, default)


DRIVER = EksAddonDriver()
