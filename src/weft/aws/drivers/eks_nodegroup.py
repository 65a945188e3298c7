"""EKS managed node groups: instance types, capacity, disk (fixed), scaling, labels, taints.

The cloud name (``nodegroup_name``) carries a digest of the settings EKS cannot change, so a
replacement is a new group next to the old one: the new group is created, then the old one
deleted (``delete_before_create=False``), and pods move over as the old nodes drain.

Discovery: the fabric's clusters, then each cluster's node groups, listed and described (tags
are in the description). Scaling, labels and taints change through one
``UpdateNodegroupConfig``, waited on as an EKS update. Taint effects are written as in
Kubernetes and the fabric file (``NoSchedule``); EKS spells them ``NO_SCHEDULE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from weft.aws import errors
from weft.aws import tags as tagging
from weft.aws.context import AwsContext
from weft.aws.drivers import adoption, eks_cluster, pagination
from weft.core.resource import KindSchema, Observed, Resource
from weft.errors import PermanentError, TemporaryError

KIND = "eks_nodegroup"
CREATE_TIMEOUT = 1200.0
DELETE_TIMEOUT = 1200.0
_GONE = frozenset({"DELETING"})
_CREATE_FAILED = frozenset({"CREATE_FAILED", "DEGRADED", "DELETING", "DELETE_FAILED"})
#: A degraded group can still be changed (a new scaling may be its cure).
_USABLE = frozenset({"ACTIVE", "DEGRADED"})
_UPDATE_FAILED = frozenset({"CREATE_FAILED", "DELETING", "DELETE_FAILED"})

_EFFECT_TO_AWS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}
_EFFECT_FROM_AWS = {v: k for k, v in _EFFECT_TO_AWS.items()}


def taint_to_aws(taint: Mapping[str, Any]) -> dict[str, str]:
    out = {"key": str(taint["key"]), "effect": _EFFECT_TO_AWS.get(taint["effect"], taint["effect"])}
    if taint.get("value"):
        out["value"] = str(taint["value"])
    return out


def taint_from_aws(taint: Mapping[str, Any]) -> dict[str, str]:
    effect = str(taint.get("effect", ""))
    return {
        "key": str(taint["key"]),
        "value": str(taint.get("value") or ""),
        "effect": _EFFECT_FROM_AWS.get(effect, effect),
    }


def _describe(ctx: AwsContext, cluster: str, nodegroup: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = ctx.client("eks").describe_nodegroup(
            clusterName=cluster, nodegroupName=nodegroup
        )["nodegroup"]
    except ClientError as exc:
        if errors.is_not_found(exc):
            return None
        raise
    return found


def _props(ng: Mapping[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    scaling = ng.get("scalingConfig") or {}
    disk = ng.get("diskSize")
    return {
        "cluster_name": ng["clusterName"],
        "nodegroup_name": ng["nodegroupName"],
        "node_role_arn": ng.get("nodeRole"),
        "subnet_ids": list(ng.get("subnets") or []),
        "instance_types": list(ng.get("instanceTypes") or []),
        "capacity_type": ng.get("capacityType", "ON_DEMAND"),
        "disk_size": int(disk) if disk is not None else None,
        "scaling": {
            "min": scaling.get("minSize"),
            "max": scaling.get("maxSize"),
            "desired": scaling.get("desiredSize"),
        },
        "labels": dict(ng.get("labels") or {}),
        "taints": [taint_from_aws(t) for t in ng.get("taints") or []],
        "tags": tags,
    }


def _observed(name: str, ng: Mapping[str, Any]) -> Observed:
    status = str(ng.get("status", "ACTIVE"))
    return Observed(
        kind=KIND,
        name=name,
        id=ng["nodegroupName"],
        props=_props(ng, eks_cluster.tags_of(ng)),
        outputs={"arn": ng.get("nodegroupArn"), "status": status},
        state=status.lower(),
    )


def _scaling(props: Mapping[str, Any]) -> dict[str, int]:
    s = props["scaling"]
    return {"minSize": int(s["min"]), "maxSize": int(s["max"]), "desiredSize": int(s["desired"])}


class EksNodegroupDriver:
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset(
            {
                "cluster_name",
                "nodegroup_name",
                "node_role_arn",
                "subnet_ids",
                "instance_types",
                "capacity_type",
                "disk_size",
            }
        ),
        unordered=frozenset({"subnet_ids", "instance_types", "taints"}),
        delete_before_create=False,
    )

    def discover(self, ctx: AwsContext) -> list[Observed]:
        eks = ctx.client("eks")
        found = []
        for cluster in eks_cluster.fabric_clusters(ctx):
            for ng_name in pagination.items(
                eks, "list_nodegroups", "nodegroups", clusterName=cluster["name"]
            ):
                ng = _describe(ctx, cluster["name"], ng_name)
                if ng is None or ng.get("status") in _GONE:
                    continue
                tags = eks_cluster.tags_of(ng)
                name = tagging.name_from_id_tag(tags, KIND)
                if name is not None and eks_cluster.is_ours(ctx, tags):
                    found.append(_observed(name, ng))
        return found

    def create(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        cluster, ng_name = props["cluster_name"], props["nodegroup_name"]
        existing = _describe(ctx, cluster, ng_name)
        if existing is not None:
            return self._adopt(ctx, resource, props, existing)
        kwargs: dict[str, Any] = {
            "clusterName": cluster,
            "nodegroupName": ng_name,
            "nodeRole": props["node_role_arn"],
            "subnets": list(props["subnet_ids"]),
            "instanceTypes": list(props["instance_types"]),
            "capacityType": props["capacity_type"],
            "diskSize": int(props["disk_size"]),
            "scalingConfig": _scaling(props),
            "labels": dict(props["labels"]),
            "tags": eks_cluster.eks_tags(props["tags"]),
            "clientRequestToken": ctx.token(resource.address),
        }
        if props["taints"]:
            kwargs["taints"] = [taint_to_aws(t) for t in props["taints"]]
        ctx.client("eks").create_nodegroup(**kwargs)
        ng = self._wait_active(ctx, resource.address, cluster, ng_name)
        return _observed(resource.name, ng)

    def _adopt(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        existing: dict[str, Any],
    ) -> Observed:
        tags = eks_cluster.tags_of(existing)
        ng_name = props["nodegroup_name"]
        if not eks_cluster.is_ours(ctx, tags) or tags.get(tagging.ID_TAG) != resource.address:
            raise PermanentError(
                f"a node group named {ng_name} already exists in cluster "
                f"{props['cluster_name']} and is not this one",
                address=resource.address,
                hint="delete that node group, or rename this one in the fabric file",
            )
        if existing.get("status") in _GONE:
            raise TemporaryError(
                f"the previous node group {ng_name} is still being deleted",
                address=resource.address,
            )
        ng = self._wait_active(ctx, resource.address, props["cluster_name"], ng_name)
        adopted = adoption.adopt(self, ctx, resource, props, [_observed(resource.name, ng)])
        if adopted is None:
            raise PermanentError(
                f"the node group {ng_name} exists with settings EKS cannot change in place",
                address=resource.address,
            )
        return adopted

    def update(
        self,
        ctx: AwsContext,
        resource: Resource,
        props: dict[str, Any],
        observed: Observed,
        changed: set[str],
    ) -> Observed:
        cluster, ng_name = props["cluster_name"], observed.id
        address = resource.address
        # Read it again: after an interrupted run part of the change may be done.
        live = self._wait_usable(ctx, address, cluster, ng_name)
        current = _props(live, eks_cluster.tags_of(live))
        request: dict[str, Any] = {}
        if "scaling" in changed and current["scaling"] != props["scaling"]:
            request["scalingConfig"] = _scaling(props)
        if "labels" in changed:
            have, want = current["labels"], dict(props["labels"])
            labels: dict[str, Any] = {}
            add = {k: v for k, v in want.items() if have.get(k) != v}
            remove = sorted(k for k in have if k not in want)
            if add:
                labels["addOrUpdateLabels"] = add
            if remove:
                labels["removeLabels"] = remove
            if labels:
                request["labels"] = labels
        if "taints" in changed:
            have_t = {(t["key"], t["effect"]): t for t in current["taints"]}
            want_t = {(t["key"], t["effect"]): dict(t) for t in props["taints"]}
            taints: dict[str, Any] = {}
            add_t = [taint_to_aws(t) for k, t in sorted(want_t.items()) if have_t.get(k) != t]
            remove_t = [taint_to_aws(t) for k, t in sorted(have_t.items()) if k not in want_t]
            if add_t:
                taints["addOrUpdateTaints"] = add_t
            if remove_t:
                taints["removeTaints"] = remove_t
            if taints:
                request["taints"] = taints
        if request:
            update = ctx.client("eks").update_nodegroup_config(
                clusterName=cluster, nodegroupName=ng_name, **request
            )["update"]
            eks_cluster.wait_update(
                ctx, address, cluster, update, timeout=CREATE_TIMEOUT, nodegroupName=ng_name
            )
            live = self._wait_usable(ctx, address, cluster, ng_name)
        if "tags" in changed:
            eks_cluster.update_tags(
                ctx, live["nodegroupArn"], eks_cluster.tags_of(live), props["tags"]
            )
            live = {**live, "tags": eks_cluster.eks_tags(props["tags"])}
        return _observed(resource.name, live)

    def delete(self, ctx: AwsContext, observed: Observed) -> None:
        cluster, ng_name = observed.props["cluster_name"], observed.id
        ctx.client("eks").delete_nodegroup(clusterName=cluster, nodegroupName=ng_name)
        eks_cluster.wait_status(
            ctx,
            observed.address,
            f"node group {ng_name}",
            lambda: _describe(ctx, cluster, ng_name),
            want=None,
            failed=frozenset({"DELETE_FAILED"}),
            timeout=DELETE_TIMEOUT,
        )

    @staticmethod
    def _wait_active(ctx: AwsContext, address: str, cluster: str, ng_name: str) -> dict[str, Any]:
        ng = eks_cluster.wait_status(
            ctx,
            address,
            f"node group {ng_name}",
            lambda: _describe(ctx, cluster, ng_name),
            want="ACTIVE",
            failed=_CREATE_FAILED,
            timeout=CREATE_TIMEOUT,
        )
        assert ng is not None
        return ng

    @staticmethod
    def _wait_usable(ctx: AwsContext, address: str, cluster: str, ng_name: str) -> dict[str, Any]:
        ng = eks_cluster.wait_status(
            ctx,
            address,
            f"node group {ng_name}",
            lambda: _describe(ctx, cluster, ng_name),
            want=_USABLE,
            failed=_UPDATE_FAILED,
            timeout=CREATE_TIMEOUT,
        )
        assert ng is not None
        return ng


DRIVER = EksNodegroupDriver()
