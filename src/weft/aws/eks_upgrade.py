"""The EKS calls of a cluster upgrade (``weft upgrade``), their errors translated.

Reads: the cluster, its node groups and add-ons, its upgrade insights (ListInsights and
DescribeInsight), the updates in progress (ListUpdates, DescribeUpdate), the add-on versions
compatible with a Kubernetes version (DescribeAddonVersions) and the free addresses of the
cluster's subnets. Writes: UpdateClusterVersion, UpdateAddon (``resolveConflicts=OVERWRITE``:
weft owns its add-ons' configuration, as everywhere), UpdateNodegroupConfig (``updateConfig``)
and UpdateNodegroupVersion. Each returns plain dicts as the API answers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from weft.aws.context import AwsContext
from weft.aws.errors import translate

T = TypeVar("T")


def _call(address: str, action: str, fn: Callable[[], T]) -> T:
    try:
        return fn()
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address=address, action=action, service="eks") from exc


def cluster(ctx: AwsContext, name: str) -> dict[str, Any]:
    eks = ctx.client("eks")
    found = _call(f"EKS cluster {name}", "read", lambda: eks.describe_cluster(name=name))
    return dict(found["cluster"])


def _described(
    ctx: AwsContext, name: str, what: str, listing: str, describe: str, key: str
) -> list[dict[str, Any]]:
    """Every ``key`` of the cluster (node groups, add-ons), listed then described, by name."""
    eks = ctx.client("eks")

    def read() -> list[dict[str, Any]]:
        names: list[str] = []
        for page in eks.get_paginator(f"list_{listing}").paginate(clusterName=name):
            names += page.get(listing) or []
        call = getattr(eks, f"describe_{key}")
        return [dict(call(clusterName=name, **{describe: n})[key]) for n in sorted(names)]

    return _call(f"{what} of EKS cluster {name}", "read", read)


def nodegroups(ctx: AwsContext, name: str) -> list[dict[str, Any]]:
    """Every node group of the cluster, described, by name."""
    return _described(ctx, name, "node groups", "nodegroups", "nodegroupName", "nodegroup")


def addons(ctx: AwsContext, name: str) -> list[dict[str, Any]]:
    """Every add-on of the cluster, described, by name."""
    return _described(ctx, name, "add-ons", "addons", "addonName", "addon")


def insights(ctx: AwsContext, name: str) -> list[dict[str, Any]]:
    """The cluster's upgrade-readiness insights, each described whole."""
    eks = ctx.client("eks")

    def read() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = eks.list_insights(
                clusterName=name,
                filter={"categories": ["UPGRADE_READINESS"]},
                **({"nextToken": token} if token else {}),
            )
            for summary in page.get("insights") or []:
                found.append(
                    dict(eks.describe_insight(clusterName=name, id=summary["id"])["insight"])
                )
            token = page.get("nextToken")
            if not token:
                return found

    return _call(f"insights of EKS cluster {name}", "read", read)


#: Per add-on name: (every version that runs on a Kubernetes version, the default one).
AddonVersions = dict[str, tuple[list[str], str | None]]


def versions_by_addon(infos: Iterable[Mapping[str, Any]], k8s_version: str) -> AddonVersions:
    """DescribeAddonVersions' ``addons`` (AddonInfo items) read for ``k8s_version``: per add-on,
    the versions whose compatibilities name that cluster version, and the default among them.
    Pure."""
    found: AddonVersions = {}
    for info in infos:
        versions, default = found.setdefault(str(info.get("addonName")), ([], None))
        for version in info.get("addonVersions") or []:
            for compat in version.get("compatibilities") or []:
                if compat.get("clusterVersion") != k8s_version:
                    continue
                versions.append(str(version["addonVersion"]))
                if compat.get("defaultVersion"):
                    default = str(version["addonVersion"])
        found[str(info.get("addonName"))] = (versions, default)
    return found


def addon_versions(ctx: AwsContext, k8s_version: str) -> AddonVersions:
    """Every add-on's versions for ``k8s_version`` (:func:`versions_by_addon`), read with one
    paginated DescribeAddonVersions for the Kubernetes version rather than one per add-on."""
    eks = ctx.client("eks")

    def read() -> AddonVersions:
        pages = eks.get_paginator("describe_addon_versions").paginate(kubernetesVersion=k8s_version)
        infos = [info for page in pages for info in page.get("addons") or []]
        return versions_by_addon(infos, k8s_version)

    return _call(f"EKS add-on versions for Kubernetes {k8s_version}", "read", read)


def compatible_versions(
    ctx: AwsContext, addon: str, k8s_version: str
) -> tuple[list[str], str | None]:
    """(every version of ``addon`` that runs on ``k8s_version``, the default one)."""
    eks = ctx.client("eks")

    def read() -> tuple[list[str], str | None]:
        pages = eks.get_paginator("describe_addon_versions").paginate(
            addonName=addon, kubernetesVersion=k8s_version
        )
        infos = [info for page in pages for info in page.get("addons") or []]
        return versions_by_addon(infos, k8s_version).get(addon, ([], None))

    return _call(f"EKS add-on {addon} versions", "read", read)


def update_in_progress(ctx: AwsContext, name: str, **owner: str) -> dict[str, Any] | None:
    """The update of the cluster (or of ``nodegroupName=`` / ``addonName=``) in progress."""
    eks = ctx.client("eks")

    def read() -> dict[str, Any] | None:
        ids = eks.list_updates(name=name, **owner).get("updateIds") or []
        for update_id in reversed(ids):
            update = eks.describe_update(name=name, updateId=update_id, **owner)["update"]
            if update.get("status") == "InProgress":
                return dict(update)
        return None

    return _call(f"updates of EKS cluster {name}", "read", read)


def describe_update(ctx: AwsContext, name: str, update_id: str, **owner: str) -> dict[str, Any]:
    eks = ctx.client("eks")
    return dict(
        _call(
            f"EKS update {update_id} of {name}",
            "read",
            lambda: eks.describe_update(name=name, updateId=update_id, **owner),
        )["update"]
    )


def update_cluster_version(ctx: AwsContext, name: str, version: str) -> dict[str, Any]:
    eks = ctx.client("eks")
    return dict(
        _call(
            f"EKS cluster {name}",
            "update",
            lambda: eks.update_cluster_version(name=name, version=version),
        )["update"]
    )


def update_addon(ctx: AwsContext, name: str, addon: str, version: str) -> dict[str, Any]:
    eks = ctx.client("eks")
    return dict(
        _call(
            f"EKS add-on {addon} of {name}",
            "update",
            lambda: eks.update_addon(
                clusterName=name,
                addonName=addon,
                addonVersion=version,
                resolveConflicts="OVERWRITE",
            ),
        )["update"]
    )


def update_nodegroup_config(
    ctx: AwsContext, name: str, nodegroup: str, update_config: dict[str, int]
) -> dict[str, Any]:
    eks = ctx.client("eks")
    return dict(
        _call(
            f"EKS node group {nodegroup} of {name}",
            "update",
            lambda: eks.update_nodegroup_config(
                clusterName=name, nodegroupName=nodegroup, updateConfig=update_config
            ),
        )["update"]
    )


def update_nodegroup_version(
    ctx: AwsContext,
    name: str,
    nodegroup: str,
    version: str | None,
    release_version: str | None = None,
) -> dict[str, Any]:
    """Replace a node group's nodes with nodes of ``version`` (None: the group's own) on AMI
    ``release_version`` (None: the newest EKS has for that version)."""
    eks = ctx.client("eks")
    args = {"version": version, "releaseVersion": release_version}
    given = {k: v for k, v in args.items() if v}
    return dict(
        _call(
            f"EKS node group {nodegroup} of {name}",
            "update",
            lambda: eks.update_nodegroup_version(
                clusterName=name, nodegroupName=nodegroup, **given
            ),
        )["update"]
    )


def nodegroup_updates(ctx: AwsContext, name: str, nodegroup: str) -> list[dict[str, Any]]:
    """Every update of a node group, as DescribeUpdate tells it."""
    eks = ctx.client("eks")

    def read() -> list[dict[str, Any]]:
        ids = eks.list_updates(name=name, nodegroupName=nodegroup).get("updateIds") or []
        return [
            dict(eks.describe_update(name=name, updateId=i, nodegroupName=nodegroup)["update"])
            for i in ids
        ]

    return _call(f"updates of EKS node group {nodegroup} of {name}", "read", read)


def free_addresses(ctx: AwsContext, subnet_ids: list[str]) -> dict[str, int]:
    """The free IPv4 addresses of each subnet."""
    if not subnet_ids:
        return {}
    ec2 = ctx.client("ec2")
    try:
        subnets = ec2.describe_subnets(SubnetIds=list(subnet_ids))["Subnets"]
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, address="the cluster's subnets", action="read", service="ec2") from exc
    return {str(s["SubnetId"]): int(s.get("AvailableIpAddressCount") or 0) for s in subnets}
