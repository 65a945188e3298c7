"""What the Amazon EBS CSI driver decides, as pure functions: the StorageClasses its EKS add-on
makes, the size, tags and zone of the EBS volume it creates for a claim, and the
PersistentVolume it binds the claim to (:mod:`weft.local.kube.ebs_csi_sim` does the calls).

AWS: the ``aws-ebs-csi-driver`` EKS add-on makes the StorageClasses its configuration lists
(``storageClasses``: name, annotations, parameters, binding mode, reclaim policy, expansion;
provisioner ``ebs.csi.aws.com``); for each PersistentVolumeClaim of such a class the
controller creates one EBS volume (CreateVolume) of the class's ``type``, encrypted when
``encrypted: "true"``, of the claim's requested size rounded up to whole GiB, in the zone the
claim's pod was scheduled to (``WaitForFirstConsumer``), and a PersistentVolume named
``pvc-<claim uid>`` pre-bound to the claim, its node affinity that zone ("Amazon EBS CSI
driver", Amazon EKS User Guide; the driver's "Tagging" and "Parameters" documentation). It tags
the volume ``CSIVolumeName``, ``ebs.csi.aws.com/cluster: true``, and (the add-on runs the
provisioner with ``--extra-create-metadata``) ``kubernetes.io/created-for/pvc/name``,
``kubernetes.io/created-for/pvc/namespace`` and ``kubernetes.io/created-for/pv/name``; with
``controller.k8sTagClusterId`` also ``kubernetes.io/cluster/<id>: owned`` and
``KubernetesCluster: <id>``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from weft.local.kube.meta import meta

PROVISIONER = "ebs.csi.aws.com"
ADDON = "aws-ebs-csi-driver"
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "ebs-csi-controller-sa"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"
#: The label the local EKS puts on each node of a node group: its cluster.
CLUSTER_LABEL = "weft.local/cluster"
#: The labels EKS puts on what an add-on makes in the cluster.
ADDON_LABELS = {"app.kubernetes.io/managed-by": "EKS", "app.kubernetes.io/name": ADDON}
#: Which cluster's add-on made a StorageClass (the local Kubernetes serves every local cluster).
CLUSTER_ANNOTATION = "weft.local/eks-cluster"


@dataclass(frozen=True)
class Addon:
    """The EBS CSI add-on of one EKS cluster, as DescribeAddon tells it."""

    cluster: str
    region: str
    role_arn: str | None
    cluster_id: str | None = None
    storage_classes: tuple[str, ...] = field(default=())  # each a JSON object


def addon_of(cluster: str, region: str, described: dict[str, Any]) -> Addon | None:
    """The add-on a DescribeAddon answer describes, when it runs (ACTIVE, DEGRADED, UPDATING)."""
    if described.get("status") not in ("ACTIVE", "DEGRADED", "UPDATING"):
        return None
    try:
        values = json.loads(described.get("configurationValues") or "{}")
    except ValueError:
        values = {}
    values = values if isinstance(values, dict) else {}
    controller = values.get("controller") or {}
    classes = values.get("storageClasses") or []
    return Addon(
        cluster=cluster,
        region=region,
        role_arn=described.get("serviceAccountRoleArn") or None,
        cluster_id=str(controller.get("k8sTagClusterId") or "") or None,
        storage_classes=tuple(
            json.dumps(c, sort_keys=True) for c in classes if isinstance(c, dict) and c.get("name")
        ),
    )


def storage_class(addon: Addon, spec: str) -> dict[str, Any]:
    """The StorageClass the add-on makes from one ``storageClasses`` entry."""
    entry = json.loads(spec)
    body: dict[str, Any] = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": entry["name"],
            "labels": {**ADDON_LABELS, **(entry.get("labels") or {})},
            "annotations": {
                **(entry.get("annotations") or {}),
                CLUSTER_ANNOTATION: f"{addon.region}/{addon.cluster}",
            },
        },
        "provisioner": PROVISIONER,
        "parameters": {str(k): str(v) for k, v in (entry.get("parameters") or {}).items()},
        "reclaimPolicy": entry.get("reclaimPolicy") or "Delete",
        "volumeBindingMode": entry.get("volumeBindingMode") or "Immediate",
    }
    if "allowVolumeExpansion" in entry:
        body["allowVolumeExpansion"] = bool(entry["allowVolumeExpansion"])
    return body


def class_of(pvc: dict[str, Any], classes: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The StorageClass a claim uses: its own, or (none named) the default one."""
    spec = pvc.get("spec") or {}
    if "storageClassName" in spec and spec["storageClassName"] is not None:
        return classes.get(str(spec["storageClassName"]))
    defaults = [
        c
        for _n, c in sorted(classes.items())
        if (meta(c).get("annotations") or {}).get(DEFAULT_CLASS_ANNOTATION) == "true"
    ]
    return defaults[0] if defaults else None


_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)([KMGTPE]i?)?")
_FACTORS = {
    None: 1,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def size_gib(quantity: str) -> int:
    """A claim's requested storage, in whole GiB rounded up (at least 1), as the driver sizes
    the volume."""
    match = _QUANTITY.fullmatch(str(quantity).strip())
    if match is None:
        raise ValueError(f"not a storage quantity: {quantity!r}")
    number = float(match.group(1)) * _FACTORS[match.group(2)]
    return max(1, math.ceil(number / 2**30))


def pv_name(pvc: dict[str, Any]) -> str:
    return f"pvc-{meta(pvc).get('uid')}"


def volume_tags(addon: Addon, pvc: dict[str, Any]) -> dict[str, str]:
    """The tags the driver gives the volume it creates for ``pvc``."""
    m = meta(pvc)
    tags = {
        "CSIVolumeName": pv_name(pvc),
        "ebs.csi.aws.com/cluster": "true",
        "kubernetes.io/created-for/pvc/name": str(m.get("name")),
        "kubernetes.io/created-for/pvc/namespace": str(m.get("namespace")),
        "kubernetes.io/created-for/pv/name": pv_name(pvc),
    }
    if addon.cluster_id:
        tags[f"kubernetes.io/cluster/{addon.cluster_id}"] = "owned"
        tags["KubernetesCluster"] = addon.cluster_id
    return tags


def volume_request(
    addon: Addon, pvc: dict[str, Any], sc: dict[str, Any], zone: str
) -> dict[str, Any]:
    """The CreateVolume request for ``pvc`` in ``zone``."""
    parameters = sc.get("parameters") or {}
    requested = (((pvc.get("spec") or {}).get("resources") or {}).get("requests") or {}).get(
        "storage", "1Gi"
    )
    request: dict[str, Any] = {
        "AvailabilityZone": zone,
        "Size": size_gib(str(requested)),
        "VolumeType": str(parameters.get("type") or "gp3"),
        "Encrypted": str(parameters.get("encrypted", "false")).lower() == "true",
        "TagSpecifications": [
            {
                "ResourceType": "volume",
                "Tags": [{"Key": k, "Value": v} for k, v in volume_tags(addon, pvc).items()],
            }
        ],
    }
    if parameters.get("kmsKeyId"):
        request["KmsKeyId"] = str(parameters["kmsKeyId"])
    return request


def persistent_volume(
    pvc: dict[str, Any], sc: dict[str, Any], volume_id: str, size: int, zone: str
) -> dict[str, Any]:
    """The PersistentVolume for the volume made for ``pvc``, pre-bound to it."""
    m = meta(pvc)
    spec = pvc.get("spec") or {}
    parameters = sc.get("parameters") or {}
    in_zone = {"key": ZONE_LABEL, "operator": "In", "values": [zone]}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": pv_name(pvc), "annotations": {PROVISIONED_BY: PROVISIONER}},
        "spec": {
            "capacity": {"storage": f"{size}Gi"},
            "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
            "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy") or "Delete",
            "storageClassName": meta(sc).get("name"),
            "volumeMode": spec.get("volumeMode") or "Filesystem",
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": m.get("namespace"),
                "name": m.get("name"),
                "uid": m.get("uid"),
            },
            "csi": {
                "driver": PROVISIONER,
                "volumeHandle": volume_id,
                "fsType": str(parameters.get("csi.storage.k8s.io/fstype", "ext4")),
            },
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [in_zone]}]}},
        },
    }


def claims_of(pod: dict[str, Any]) -> list[str]:
    """The claims a pod's volumes name."""
    volumes = (pod.get("spec") or {}).get("volumes") or []
    return [
        str(v["persistentVolumeClaim"]["claimName"])
        for v in volumes
        if (v.get("persistentVolumeClaim") or {}).get("claimName")
    ]


def waits(pvc: dict[str, Any]) -> bool:
    """Whether a claim waits for a volume: Pending, bound to none, not being deleted."""
    return (
        not (pvc.get("spec") or {}).get("volumeName")
        and (pvc.get("status") or {}).get("phase", "Pending") == "Pending"
        and not meta(pvc).get("deletionTimestamp")
    )
