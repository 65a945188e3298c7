"""The EBS CSI driver's decisions in the local cloud (pure): the add-on as DescribeAddon tells
it, the StorageClass it makes, and the size, tags and PersistentVolume of a claim's volume."""

from __future__ import annotations

import json

import pytest

from weft.local.kube import ebs_csi

CLASS = {
    "name": "gp3",
    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
    "parameters": {"type": "gp3", "encrypted": "true"},
    "volumeBindingMode": "WaitForFirstConsumer",
    "allowVolumeExpansion": True,
    "reclaimPolicy": "Delete",
}
PVC = {
    "metadata": {"name": "data", "namespace": "shop", "uid": "1234"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1500Mi"}}},
}


def addon() -> ebs_csi.Addon:
    described = {
        "status": "ACTIVE",
        "serviceAccountRoleArn": "arn:aws:iam::123456789012:role/ebs",
        "configurationValues": json.dumps(
            {"controller": {"k8sTagClusterId": "shop"}, "storageClasses": [CLASS]}
        ),
    }
    found = ebs_csi.addon_of("shop", "us-east-2", described)
    assert found is not None
    return found


def test_only_a_running_addon_acts() -> None:
    assert ebs_csi.addon_of("c", "us-east-2", {"status": "CREATE_FAILED"}) is None
    assert ebs_csi.addon_of("c", "us-east-2", {"status": "ACTIVE"}) == ebs_csi.Addon(
        "c", "us-east-2", None
    )


def test_the_addon_s_storage_class_is_the_default_and_waits_for_the_pod() -> None:
    a = addon()
    sc = ebs_csi.storage_class(a, a.storage_classes[0])
    assert sc["provisioner"] == "ebs.csi.aws.com"
    assert sc["volumeBindingMode"] == "WaitForFirstConsumer"
    assert sc["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "EKS"
    assert ebs_csi.class_of(PVC, {"gp3": sc}) is sc  # no class named: the default one


@pytest.mark.parametrize(
    ("quantity", "gib"), [("1500Mi", 2), ("5Gi", 5), ("10G", 10), ("1", 1), ("1Ti", 1024)]
)
def test_sizes_are_whole_gib_rounded_up(quantity: str, gib: int) -> None:
    assert ebs_csi.size_gib(quantity) == gib


def test_the_volume_is_tagged_and_bound_as_the_driver_does() -> None:
    a = addon()
    sc = ebs_csi.storage_class(a, a.storage_classes[0])
    request = ebs_csi.volume_request(a, PVC, sc, "us-east-2b")
    assert (request["Size"], request["VolumeType"], request["Encrypted"]) == (2, "gp3", True)
    tags = {t["Key"]: t["Value"] for t in request["TagSpecifications"][0]["Tags"]}
    assert tags == {
        "CSIVolumeName": "pvc-1234",
        "ebs.csi.aws.com/cluster": "true",
        "kubernetes.io/created-for/pvc/name": "data",
        "kubernetes.io/created-for/pvc/namespace": "shop",
        "kubernetes.io/created-for/pv/name": "pvc-1234",
        "kubernetes.io/cluster/shop": "owned",
        "KubernetesCluster": "shop",
    }
    pv = ebs_csi.persistent_volume(PVC, sc, "vol-1", 2, "us-east-2b")
    assert pv["metadata"]["name"] == "pvc-1234"
    assert pv["spec"]["claimRef"]["uid"] == "1234"
    assert pv["spec"]["csi"]["volumeHandle"] == "vol-1"
    term = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]
    assert term["matchExpressions"][0]["values"] == ["us-east-2b"]
