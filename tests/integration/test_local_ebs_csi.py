"""The EBS CSI driver in the local cloud: the add-on's gp3 StorageClass, and an EBS volume in
the local AWS for each claim, tagged as the driver tags it, in the zone of the claim's pod; made
with the add-on's role (a role that may not create volumes leaves the claim Pending with the
provisioner's event); counted by the ``--delete-data`` guard and swept by ``down``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from lightkube import ALL_NS, Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.resources.core_v1 import (
    Event,
    Namespace,
    Node,
    PersistentVolume,
    PersistentVolumeClaim,
    Pod,
)
from lightkube.resources.storage_v1 import StorageClass

from weft.errors import GuardError
from weft.local.kube.control_plane import KubeEndpoint
from weft.ops import leftovers, teardown
from weft.ops.plan import destroy_plan
from weft.ops.run import Runner
from weft.ops.target import Target

from .helpers import CLUSTER_VERSION, FAST_RETRY, target_for, up

pytestmark = [pytest.mark.integration, pytest.mark.k8s]

FABRIC = "vols"
NAMESPACE = "vols-data"
TEXT = f"""\
name: {FABRIC}
region: us-east-2
provider: local
network: {{cidr: 10.61.0.0/16, zones: 2, nat: single, layout: private}}
cluster: {{version: "{CLUSTER_VERSION}", api_cidrs: [203.0.113.0/24]}}
nodegroups:
  - {{name: general, instance_types: [m6i.large], min: 1, max: 3, desired: 2}}
"""


def wait_for(what: str, probe: Callable[[], Any], seconds: float = 90.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def claim(kube: Client, name: str, size: str) -> None:
    kube.create(
        from_dict(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": name, "namespace": NAMESPACE},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": size}},
                },
            }
        )
    )
    kube.create(
        from_dict(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"{name}-user", "namespace": NAMESPACE},
                "spec": {
                    "containers": [
                        {
                            "name": "db",
                            "image": "registry.example.com/acme/db:1.0.0",
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": name}}],
                },
            }
        )
    )


def phase(kube: Client, name: str) -> str:
    pvc = kube.get(PersistentVolumeClaim, name, namespace=NAMESPACE)
    return str(pvc.status.phase if pvc.status else "")


@pytest.fixture
def fabric(kube_api: KubeEndpoint, clean_cloud: str) -> Iterator[tuple[Target, Client]]:
    target = target_for(TEXT)
    outcome = up(target)
    assert outcome.ok, outcome
    kube = Client(KubeConfig.from_file(kube_api.kubeconfig))
    kube.create(Namespace.from_dict({"metadata": {"name": NAMESPACE}}))
    try:
        yield target, kube
    finally:
        kube.delete(Namespace, NAMESPACE)
        for pv in kube.list(PersistentVolume):
            if pv.spec and pv.spec.claimRef and pv.spec.claimRef.namespace == NAMESPACE:
                kube.delete(PersistentVolume, str(pv.metadata.name if pv.metadata else ""))


def test_a_claim_gets_an_encrypted_gp3_volume_tagged_for_the_cluster(
    fabric: tuple[Target, Client],
) -> None:
    target, kube = fabric
    # the add-on's default StorageClass, made because the add-on is installed
    sc = wait_for("the gp3 StorageClass", lambda: _get(kube, StorageClass, "gp3"))
    assert sc.provisioner == "ebs.csi.aws.com"
    assert sc.volumeBindingMode == "WaitForFirstConsumer"
    assert sc.parameters == {"type": "gp3", "encrypted": "true"}
    annotations = sc.metadata.annotations if sc.metadata else {}
    assert (annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"

    claim(kube, "data", "5Gi")
    wait_for("the claim bound", lambda: phase(kube, "data") == "Bound")
    pvc = kube.get(PersistentVolumeClaim, "data", namespace=NAMESPACE)
    assert pvc.spec is not None and pvc.spec.volumeName
    pv = kube.get(PersistentVolume, pvc.spec.volumeName)
    assert pv.spec is not None and pv.spec.csi is not None
    volume_id = pv.spec.csi.volumeHandle
    pod = kube.get(Pod, "data-user", namespace=NAMESPACE)
    node = kube.get(Node, str(pod.spec.nodeName if pod.spec else ""))
    zone = ((node.metadata.labels if node.metadata else None) or {})["topology.kubernetes.io/zone"]

    ec2 = target.session.client("ec2")
    volume = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
    assert (volume["Size"], volume["VolumeType"], volume["Encrypted"]) == (5, "gp3", True)
    assert volume["AvailabilityZone"] == zone
    tags = {t["Key"]: t["Value"] for t in volume["Tags"]}
    assert tags["ebs.csi.aws.com/cluster"] == "true"
    assert tags["KubernetesCluster"] == FABRIC
    assert tags[f"kubernetes.io/cluster/{FABRIC}"] == "owned"
    assert tags["kubernetes.io/created-for/pvc/name"] == "data"
    assert tags["kubernetes.io/created-for/pvc/namespace"] == NAMESPACE
    assert tags["CSIVolumeName"] == pvc.spec.volumeName

    # a role that may not create volumes: the claim stays Pending, with the driver's event
    iam = target.session.client("iam")
    role = next(
        r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].endswith("ebs-csi")
    )
    policy = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    iam.detach_role_policy(RoleName=role, PolicyArn=policy)
    claim(kube, "denied", "1Gi")
    failed = wait_for("the ProvisioningFailed event", lambda: _events(kube, "denied"))
    assert "CreateVolume" in failed[0].message and "AccessDenied" in failed[0].message
    assert phase(kube, "denied") == "Pending"
    made = ec2.describe_volumes(
        Filters=[{"Name": "tag:kubernetes.io/created-for/pvc/name", "Values": ["denied"]}]
    )["Volumes"]
    assert made == []
    iam.attach_role_policy(RoleName=role, PolicyArn=policy)
    wait_for("the claim bound once the role may", lambda: phase(kube, "denied") == "Bound")

    # the data guard counts the driver's volumes; --delete-data sweeps them
    runner = Runner(target, retry=FAST_RETRY)
    with pytest.raises(GuardError, match=volume_id):
        teardown.down(runner, destroy_plan(target))
    assert ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    gone = teardown.down(runner, destroy_plan(target), teardown.TeardownOptions(delete_data=True))
    assert gone.ok, gone
    left = ec2.describe_volumes(
        Filters=[{"Name": "tag:ebs.csi.aws.com/cluster", "Values": ["true"]}]
    )["Volumes"]
    assert [v["VolumeId"] for v in left if v["State"] != "deleted"] == []
    assert leftovers.find(target) == []


def test_a_released_volume_is_deleted_with_its_claim(fabric: tuple[Target, Client]) -> None:
    target, kube = fabric
    wait_for("the gp3 StorageClass", lambda: _get(kube, StorageClass, "gp3"))
    claim(kube, "scratch", "2Gi")
    wait_for("the claim bound", lambda: phase(kube, "scratch") == "Bound")
    pvc = kube.get(PersistentVolumeClaim, "scratch", namespace=NAMESPACE)
    name = str(pvc.spec.volumeName if pvc.spec else "")
    volume_id = kube.get(PersistentVolume, name).spec.csi.volumeHandle  # type: ignore[union-attr]
    kube.delete(Pod, "scratch-user", namespace=NAMESPACE)
    kube.delete(PersistentVolumeClaim, "scratch", namespace=NAMESPACE)
    wait_for("the PersistentVolume gone", lambda: _get(kube, PersistentVolume, name) is None)
    ec2 = target.session.client("ec2")
    states = [v["State"] for v in ec2.describe_volumes()["Volumes"] if v["VolumeId"] == volume_id]
    assert states in ([], ["deleted"])
    outcome = teardown.down(Runner(target, retry=FAST_RETRY), destroy_plan(target))
    assert outcome.ok, outcome


def _get(kube: Client, kind: Any, name: str) -> Any:
    from lightkube import ApiError

    try:
        return kube.get(kind, name)
    except ApiError as exc:
        if exc.status.code == 404:
            return None
        raise


def _events(kube: Client, pvc: str) -> list[Any]:
    return [
        e
        for e in kube.list(Event, namespace=ALL_NS)
        if e.involvedObject.name == pvc and e.reason == "ProvisioningFailed"
    ]


def test_a_role_session_creates_a_volume_a_policy_grants_on_volume_arns(clean_cloud: str) -> None:
    """AWS authorizes ec2:CreateVolume and DeleteVolume on the volume's ARN, so a grant on
    ``volume/*`` (as AmazonEBSCSIDriverPolicy's) allows them; the local cloud checks a role
    session's volume requests the same way, and refuses what no statement grants."""
    import json

    from botocore.exceptions import ClientError

    admin = {
        "endpoint_url": clean_cloud,
        "region_name": "us-east-2",
        "aws_access_key_id": "weft-local",
        "aws_secret_access_key": "weft-local-secret",
    }
    iam = boto3.client("iam", **admin)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(RoleName="volumes", AssumeRolePolicyDocument=json.dumps(trust))
    statements = [
        {"Effect": "Allow", "Action": "ec2:DescribeVolumes", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateVolume", "ec2:DeleteVolume"],
            "Resource": "arn:aws:ec2:*:*:volume/*",
        },
    ]
    iam.put_role_policy(
        RoleName="volumes",
        PolicyName="volumes",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    c = boto3.client("sts", **admin).assume_role(
        RoleArn="arn:aws:iam::123456789012:role/volumes", RoleSessionName="volumes-test"
    )["Credentials"]
    session = {
        "endpoint_url": clean_cloud,
        "region_name": "us-east-2",
        "aws_access_key_id": c["AccessKeyId"],
        "aws_secret_access_key": c["SecretAccessKey"],
        "aws_session_token": c["SessionToken"],
    }
    ec2 = boto3.client("ec2", **session)
    made = ec2.create_volume(AvailabilityZone="us-east-2a", Size=1, VolumeType="gp3")
    ec2.delete_volume(VolumeId=made["VolumeId"])
    with pytest.raises(ClientError) as denied:
        ec2.create_snapshot(VolumeId=made["VolumeId"])
    assert denied.value.response["Error"]["Code"] in ("AccessDenied", "UnauthorizedOperation")
