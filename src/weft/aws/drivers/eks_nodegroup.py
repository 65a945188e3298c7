"""EKS managed node groups: instance types, AMI type, capacity, launch template, scaling, labels,
taints.

The AMI type is always sent: without it EKS runs the x86_64 AMI, and refuses Graviton (arm64)
instance types. The model derives it from the instance types (:mod:`weft.model.cluster`).

The cloud name (``nodegroup_name``) carries a digest of the settings EKS cannot change, so a
replacement is a new group next to the old one: the new group is created, then the old one
deleted (``delete_before_create=False``), and pods move over as the old nodes drain.

A node group is launched from a launch template (``launch_template_id``, fixed: EKS cannot
move a group to another template, nor give one to a group made without) at a version
(``launch_template_version``): a new version is rolled out with ``UpdateNodegroupVersion``, and
EKS recycles the nodes. The disk is then the template's: ``disk_size`` is None (EKS refuses a
disk size next to a template); without a template it is the group's own.

A node group runs its cluster's Kubernetes version (``version``): when it is behind (an
interrupted ``weft upgrade``), ``UpdateNodegroupVersion`` brings it up, EKS replacing the nodes.
``update_config`` (how many nodes such an update replaces at once) is EKS's ``updateConfig``.

Scaling, labels, taints and ``update_config`` change through one ``UpdateNodegroupConfig``,
waited on as an EKS update. Taint effects are written as in Kubernetes and the fabric file
(``NoSchedule``); EKS spells them ``NO_SCHEDULE``. How node groups are found and waited on:
:mod:`.eks`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from weft.aws.context import AwsContext
from weft.aws.drivers import eks, kit, tagger
from weft.core.resource import KindSchema, Observed, Resource

KIND = "eks_nodegroup"
#: A degraded group can still be changed (a new scaling may be its cure).
#: The tag holding a node group's desired size as weft last set it from the file: the Cluster
#: Autoscaler moves the live size between min and max, and that is no drift. The driver keeps it
#: (it is not one of the model's tags).
DESIRED_TAG = "weft:desired-size"

_USABLE = frozenset({"ACTIVE", "DEGRADED"})
_UPDATE_FAILED = frozenset({"CREATE_FAILED", "DELETING", "DELETE_FAILED"})
#: Recycling every node of a group (drain, replace) takes long on a big group.
ROLL_TIMEOUT = 3600.0

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


def _props(ng: Mapping[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    scaling = ng.get("scalingConfig") or {}
    disk = ng.get("diskSize")
    template = ng.get("launchTemplate") or {}
    version = template.get("version")
    return {
        "cluster_name": ng["clusterName"],
        "nodegroup_name": ng["nodegroupName"],
        "node_role_arn": ng.get("nodeRole"),
        "subnet_ids": list(ng.get("subnets") or []),
        "instance_types": list(ng.get("instanceTypes") or []),
        "ami_type": ng.get("amiType"),
        "capacity_type": ng.get("capacityType", "ON_DEMAND"),
        "disk_size": int(disk) if disk is not None else None,
        "launch_template_id": template.get("id"),
        "launch_template_version": str(version) if version is not None else None,
        "scaling": {
            "min": scaling.get("minSize"),
            "max": scaling.get("maxSize"),
            "desired": _desired(scaling, tags),
        },
        "version": ng.get("version"),
        "update_config": _update_config_from_aws(ng.get("updateConfig") or {}),
        "labels": dict(ng.get("labels") or {}),
        "taints": [taint_from_aws(t) for t in ng.get("taints") or []],
        "tags": {k: v for k, v in tags.items() if k != DESIRED_TAG},
    }


def _desired(scaling: Mapping[str, Any], tags: Mapping[str, str]) -> Any:
    """The group's desired size as weft last set it (its :data:`DESIRED_TAG`), not as the Cluster
    Autoscaler moved it since: the autoscaler owns the size between min and max, so its moves are
    no drift. A group without the tag (made by an older weft) reads its live size."""
    mark = tags.get(DESIRED_TAG, "")
    return int(mark) if mark.isdigit() else scaling.get("desiredSize")


def _update_config_from_aws(config: Mapping[str, Any]) -> dict[str, int]:
    """The group's ``updateConfig`` as the model writes it (EKS's default: one node)."""
    if config.get("maxUnavailablePercentage"):
        return {"max_unavailable_percentage": int(config["maxUnavailablePercentage"])}
    return {"max_unavailable": int(config.get("maxUnavailable") or 1)}


def update_config_to_aws(config: Mapping[str, Any]) -> dict[str, int]:
    """EKS's ``updateConfig`` for the model's."""
    if config.get("max_unavailable_percentage"):
        return {"maxUnavailablePercentage": int(config["max_unavailable_percentage"])}
    return {"maxUnavailable": int(config.get("max_unavailable") or 1)}


def _template(props: Mapping[str, Any]) -> dict[str, str]:
    """The node group's ``launchTemplate``, by id and version."""
    return {
        "id": str(props["launch_template_id"]),
        "version": str(props["launch_template_version"]),
    }


def _tags(props: Mapping[str, Any]) -> dict[str, str]:
    """The group's tags: the model's and :data:`DESIRED_TAG`."""
    return {**props["tags"], DESIRED_TAG: str(int(props["scaling"]["desired"]))}


def _scaling(props: Mapping[str, Any], desired: int | None = None) -> dict[str, int]:
    s = props["scaling"]
    return {
        "minSize": int(s["min"]),
        "maxSize": int(s["max"]),
        "desiredSize": int(s["desired"]) if desired is None else desired,
    }


def _config_changes(
    current: Mapping[str, Any],
    props: Mapping[str, Any],
    changed: frozenset[str],
    live_desired: int,
) -> dict[str, Any]:
    """What ``UpdateNodegroupConfig`` must change (nothing: an empty request). A new desired
    size in the file is set; otherwise the size the autoscaler chose is kept, within the new
    bounds."""
    request: dict[str, Any] = {}
    if "scaling" in changed and current["scaling"] != props["scaling"]:
        want = props["scaling"]
        if current["scaling"]["desired"] == want["desired"]:
            kept = min(max(live_desired, int(want["min"])), int(want["max"]))
            request["scalingConfig"] = _scaling(props, kept)
        else:
            request["scalingConfig"] = _scaling(props)
    if (
        "update_config" in changed
        and props.get("update_config")
        and current["update_config"] != props["update_config"]
    ):
        request["updateConfig"] = update_config_to_aws(props["update_config"])
    if "labels" in changed:
        have, want = current["labels"], dict(props["labels"])
        add = {k: v for k, v in want.items() if have.get(k) != v}
        remove = sorted(k for k in have if k not in want)
        if labels := _delta(addOrUpdateLabels=add, removeLabels=remove):
            request["labels"] = labels
    if "taints" in changed:
        have_t = {(t["key"], t["effect"]): t for t in current["taints"]}
        want_t = {(t["key"], t["effect"]): dict(t) for t in props["taints"]}
        add_t = [taint_to_aws(t) for k, t in sorted(want_t.items()) if have_t.get(k) != t]
        remove_t = [taint_to_aws(t) for k, t in sorted(have_t.items()) if k not in want_t]
        if taints := _delta(addOrUpdateTaints=add_t, removeTaints=remove_t):
            request["taints"] = taints
    return request


def _delta(**parts: Any) -> dict[str, Any]:
    """The non-empty parts of an add-and-remove request."""
    return {key: part for key, part in parts.items() if part}


class EksNodegroupDriver(eks.EksChildDriver):
    schema = KindSchema(
        kind=KIND,
        immutable=frozenset(
            {
                "cluster_name",
                "nodegroup_name",
                "node_role_arn",
                "subnet_ids",
                "instance_types",
                "ami_type",
                "capacity_type",
                "disk_size",
                "launch_template_id",
            }
        ),
        unordered=frozenset({"subnet_ids", "instance_types", "taints"}),
        delete_before_create=False,
        updatable=frozenset(
            {
                "scaling",
                "labels",
                "taints",
                "tags",
                "launch_template_version",
                "version",
                "update_config",
            }
        ),
        shown=("instance_types", "ami_type", "capacity_type", "scaling"),
    )
    noun = "node group"
    create_failed = frozenset({"CREATE_FAILED", "DEGRADED", "DELETING", "DELETE_FAILED"})
    api = eks.ChildApi("nodegroup", "nodegroups", "nodegroupName")
    name_prop = "nodegroup_name"

    def observe(self, ctx: AwsContext, name: str, item: eks.Item) -> Observed:
        status = str(item.get("status", "ACTIVE"))
        return self.observed(
            name,
            item["nodegroupName"],
            _props(item, eks.tags_of(item)),
            {"arn": item.get("nodegroupArn"), "status": status},
            state=status.lower(),
        )

    def make(self, ctx: AwsContext, resource: Resource, props: dict[str, Any]) -> Observed:
        kwargs: dict[str, Any] = {
            "clusterName": props["cluster_name"],
            "nodegroupName": props["nodegroup_name"],
            "nodeRole": props["node_role_arn"],
            "subnets": list(props["subnet_ids"]),
            "instanceTypes": list(props["instance_types"]),
            "capacityType": props["capacity_type"],
            "scalingConfig": _scaling(props),
            "labels": dict(props["labels"]),
            "tags": eks.eks_tags(_tags(props)),
            "clientRequestToken": ctx.token(resource.address),
        }
        if props.get("ami_type"):
            kwargs["amiType"] = props["ami_type"]
        if props["taints"]:
            kwargs["taints"] = [taint_to_aws(t) for t in props["taints"]]
        if props.get("launch_template_id"):
            kwargs["launchTemplate"] = _template(props)
        if props.get("disk_size") is not None:
            kwargs["diskSize"] = int(props["disk_size"])
        if props.get("version"):
            kwargs["version"] = str(props["version"])
        if props.get("update_config"):
            kwargs["updateConfig"] = update_config_to_aws(props["update_config"])
        ctx.client("eks").create_nodegroup(**kwargs)
        return self.observe(ctx, resource.name, self.wait_for(ctx, resource.address, props))

    def change(self, edit: kit.Edit) -> Observed:
        ctx, props, address = edit.ctx, edit.props, edit.address
        cluster, ng_name = props["cluster_name"], edit.id
        # Read it again: after an interrupted run part of the change may be done.
        live = self.wait_for(ctx, address, props, want=_USABLE, failed=_UPDATE_FAILED)
        live_desired = int((live.get("scalingConfig") or {}).get("desiredSize") or 0)
        request = _config_changes(
            _props(live, eks.tags_of(live)), props, edit.changed, live_desired
        )
        if request:
            update = ctx.client("eks").update_nodegroup_config(
                clusterName=cluster, nodegroupName=ng_name, **request
            )["update"]
            eks.wait_update(
                ctx, address, cluster, update, timeout=self.timeout, nodegroupName=ng_name
            )
            live = self.wait_for(ctx, address, props, want=_USABLE, failed=_UPDATE_FAILED)
        have = _props(live, {})
        if (
            "launch_template_version" in edit.changed
            and props.get("launch_template_id")
            and have["launch_template_version"] != str(props["launch_template_version"])
        ):
            # EKS recycles every node of the group onto the template's new version
            update = ctx.client("eks").update_nodegroup_version(
                clusterName=cluster, nodegroupName=ng_name, launchTemplate=_template(props)
            )["update"]
            eks.wait_update(
                ctx, address, cluster, update, timeout=ROLL_TIMEOUT, nodegroupName=ng_name
            )
            live = self.wait_for(ctx, address, props, want=_USABLE, failed=_UPDATE_FAILED)
        if (
            "version" in edit.changed
            and props.get("version")
            and have["version"] != str(props["version"])
        ):
            # the cluster runs a newer version than the group's kubelets: EKS replaces the
            # nodes (new ones join, the old ones are drained, PodDisruptionBudgets honoured)
            update = ctx.client("eks").update_nodegroup_version(
                clusterName=cluster, nodegroupName=ng_name, version=str(props["version"])
            )["update"]
            eks.wait_update(
                ctx, address, cluster, update, timeout=ROLL_TIMEOUT, nodegroupName=ng_name
            )
            live = self.wait_for(ctx, address, props, want=_USABLE, failed=_UPDATE_FAILED)
        if (
            "tags" in edit.changed
            or eks.tags_of(live).get(DESIRED_TAG) != _tags(props)[DESIRED_TAG]
        ):
            tagger.EKS.ensure(ctx, live["nodegroupArn"], eks.tags_of(live), _tags(props))
            live = {**live, "tags": eks.eks_tags(_tags(props))}
        return self.observe(ctx, edit.resource.name, live)


DRIVER = EksNodegroupDriver()
